package nn

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// rawEntry is one member of a hand-crafted archive whose zip headers may lie.
type rawEntry struct {
	name    string
	deflate bool
	body    []byte // the uncompressed bytes
	// Overrides of what the headers declare (zero: the true value).
	usize, csize uint64
	zeroCRC      bool
	flip         int // > 0: flip a bit of body byte flip-1 after the CRC was computed
}

// rawNPZ writes entries with zip.Writer.CreateRaw so that sizes and CRCs can be forged.
func rawNPZ(entries ...rawEntry) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, e := range entries {
		body := append([]byte(nil), e.body...)
		crc := crc32.ChecksumIEEE(body)
		if e.flip > 0 {
			body[e.flip-1] ^= 0x10
		}
		comp := body
		method := zip.Store
		if e.deflate {
			method = zip.Deflate
			var cb bytes.Buffer
			fw, _ := flate.NewWriter(&cb, flate.BestSpeed)
			fw.Write(body)
			fw.Close()
			comp = cb.Bytes()
		}
		h := &zip.FileHeader{Name: e.name, Method: method, CRC32: crc,
			CompressedSize64: uint64(len(comp)), UncompressedSize64: uint64(len(body))}
		if e.zeroCRC {
			h.CRC32 = 0
		}
		if e.usize > 0 {
			h.UncompressedSize64 = e.usize
		}
		if e.csize > 0 {
			h.CompressedSize64 = e.csize
		}
		w, err := z.CreateRaw(h)
		if err != nil {
			panic(err)
		}
		w.Write(comp)
	}
	z.Close()
	return buf.Bytes()
}

// npyBytes is a .npy file (format 1.0 unless version is 2) with the given header dict.
func npyBytes(version byte, dict string, data []byte) []byte {
	h := dict + "\n"
	b := []byte("\x93NUMPY")
	if version == 2 {
		b = append(b, 2, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
	} else {
		b = append(b, 1, 0)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	}
	return append(append(b, h...), data...)
}

func npyDict(descr, shape string) string {
	return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }"
}

// npzBadCase is one hostile or corrupt archive for ImportNPZ and the error it must give.
type npzBadCase struct {
	name string
	data []byte
	msg  string
}

// npzBadCases lists the archive cases of the bad-input table; they also seed FuzzNPZ. The
// model is MLP(2, nil, 2): one dense layer fc1 with a (2, 2) weight.
func npzBadCases() []npzBadCase {
	specJSON, _ := json.Marshal(MLP(2, nil, 2, KindReLU))
	spec := func(js string) rawEntry {
		return rawEntry{name: "spec.npy", body: npyBytes(1, npyDict("|u1", "("+strconv.Itoa(len(js))+",)"), []byte(js))}
	}
	goodSpec := spec(string(specJSON))
	w := func(shape string, data []byte) rawEntry {
		return rawEntry{name: "fc1.weight.npy", body: npyBytes(1, npyDict("<f8", shape), data)}
	}
	goodW := w("(2, 2)", npzF8(1, 2, 3, 4))
	withW := func(e rawEntry) []byte { return rawNPZ(goodSpec, e) }
	mod := func(e rawEntry, f func(*rawEntry)) rawEntry { f(&e); return e }
	// 200 KB of incompressible data in a deflated entry that declares 6 TB.
	noise := make([]byte, 200<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	sixTB := uint64(6) << 40
	hugeSpec := strings.Replace(string(specJSON), `"out":2`, `"out":2000000000`, 1)
	dims65 := "(" + strings.Repeat("1, ", 65) + ")"
	return []npzBadCase{
		{"valid", rawNPZ(goodSpec, goodW), ""},
		{"shape 2^61 (makeslice panic)", withW(w("(2305843009213693952,)", nil)), "holds more than the limit"},
		{"shape overflowing int64 to 0", withW(w("(4294967296, 4294967296)", nil)), "holds more than the limit"},
		{"x shape wrapping to zero bytes", rawNPZ(goodSpec, goodW, rawEntry{name: "x.npy", body: npyBytes(1, npyDict("<f8", "(4611686018427387904, 2)"), nil)}), `npz key "x": shape (4611686018427387904, 2) holds more than the limit`},
		{"x 4-D shape overflowing to 2", rawNPZ(goodSpec, goodW, rawEntry{name: "x.npy", body: npyBytes(1, npyDict("<f8", "(0, 4294967296, 4294967296, 2)"), nil)}), `npz key "x": shape (0, 4294967296, 4294967296, 2), want (N, 2)`},
		{"deflated entry declares 6 TB", withW(rawEntry{name: "fc1.weight.npy", deflate: true, body: noise, usize: sixTB}), "more than deflate can expand"},
		{"stored entry declares 6 TB", withW(mod(goodW, func(e *rawEntry) { e.usize = sixTB })), "stored entry declares 6597069766656 bytes"},
		{"compressed size beyond the archive", withW(mod(goodW, func(e *rawEntry) { e.csize, e.usize = 1<<40, 1<<40 })), "compressed bytes in an archive of"},
		{"spec out 2000000000", rawNPZ(spec(hugeSpec), goodW), "out = 2000000000 exceeds MaxFeatures"},
		{"spec 2^24 parameters, tiny archive", rawNPZ(spec(strings.Replace(string(specJSON), `"out":2`, `"out":8388608`, 1)), goodW), "more than what the archive can hold"},
		{"deflated entry declares 6 TB (1 KB)", withW(rawEntry{name: "fc1.weight.npy", deflate: true, body: noise[:1024], usize: sixTB}), "more than deflate can expand"},
		{"spec not JSON", rawNPZ(spec("{not json"), goodW), `key "spec": decoding JSON`},
		{"flipped weight byte", withW(mod(goodW, func(e *rawEntry) { e.flip = len(e.body) - 3 })), "checksum error"},
		{"flipped weight byte, deflated", withW(mod(goodW, func(e *rawEntry) { e.flip, e.deflate = len(e.body)-3, true })), "checksum error"},
		{"flipped byte, CRC field zeroed", withW(mod(goodW, func(e *rawEntry) { e.flip, e.zeroCRC = len(e.body)-3, true })), "the archive says 00000000"},
		{"NaN weight", withW(w("(2, 2)", npzF8(1, math.NaN(), 3, 4))), `npz key "fc1.weight": element 1 (flat index, shape (2, 2)) is NaN`},
		{"Inf weight", withW(w("(2, 2)", npzF8(1, 2, math.Inf(1), 4))), `npz key "fc1.weight": element 2 (flat index, shape (2, 2)) is +Inf`},
		{"Inf in x", rawNPZ(goodSpec, goodW, rawEntry{name: "x.npy", body: npyBytes(1, npyDict("<f8", "(1, 2)"), npzF8(0, math.Inf(-1)))}), `npz key "x": element 1`},
		{"float32 NaN weight", withW(rawEntry{name: "fc1.weight.npy", body: npyBytes(1, npyDict("<f4", "(2, 2)"), []byte{0, 0, 0xc0, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})}), "element 0 (flat index, shape (2, 2)) is NaN"},
		{"trailing bytes in entry", withW(w("(2, 2)", npzF8(1, 2, 3, 4, 5))), "8 bytes after the 32 data bytes"},
		{"truncated entry", withW(w("(2, 2)", npzF8(1, 2, 3))), "truncated: shape (2, 2) needs 32 data bytes, the entry holds 24"},
		{"65 dimensions", withW(w(dims65, npzF8(1))), "more than 64 dimensions"},
		{"negative dimension", withW(w("(-2, 2)", nil)), "want a non-negative integer"},
		{"dimension beyond int64", withW(w("(99999999999999999999, 2)", nil)), "want a non-negative integer"},
		{"v2 header length 16 MiB", withW(rawEntry{name: "fc1.weight.npy", body: append(binary.LittleEndian.AppendUint32([]byte("\x93NUMPY\x02\x00"), 1<<24), 1, 2)}), "npy header length 16777216 exceeds the limit 65536"},
		{"duplicate key", rawNPZ(goodSpec, goodW, goodW), `key "fc1.weight" appears twice`},
		{"not a zip", []byte("PK\x03\x04 not really"), "not a zip archive"},
		{"empty file", nil, "not a zip archive"},
		{"no spec key", rawNPZ(goodW), `no key "spec"`},
	}
}

// TestNPZBadInput: every case of the table gives an error with the expected text (the valid
// row none), never a panic or an out-of-memory crash.
func TestNPZBadInput(t *testing.T) {
	for _, tc := range npzBadCases() {
		t.Run(tc.name, func(t *testing.T) {
			r := bytes.NewReader(tc.data)
			m, _, _, _, err := ImportNPZ(r, r.Size())
			if tc.msg == "" {
				if err != nil || m == nil {
					t.Fatalf("valid archive: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want it to contain %q", err, tc.msg)
			}
		})
	}
}
