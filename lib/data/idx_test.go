package data

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadIDXImagesRawAndGzip(t *testing.T) {
	raw := idxImages(3, 4, 5, 9)
	for _, tc := range []struct {
		name string
		in   []byte
	}{{"raw", raw}, {"gzip", gz(raw)}} {
		img, err := ReadIDXImages(bytes.NewReader(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if img.N != 3 || img.Rows != 4 || img.Cols != 5 || len(img.Pix) != 60 {
			t.Fatalf("%s: got %d x %d x %d, %d bytes", tc.name, img.N, img.Rows, img.Cols, len(img.Pix))
		}
		if !bytes.Equal(img.Pix, raw[16:]) {
			t.Errorf("%s: pixels differ from the payload", tc.name)
		}
	}
}

func TestReadIDXLabels(t *testing.T) {
	for _, in := range [][]byte{idxLabels(0, 9, 5), gz(idxLabels(0, 9, 5))} {
		l, err := ReadIDXLabels(bytes.NewReader(in), 10)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(l, []byte{0, 9, 5}) {
			t.Errorf("labels %v", l)
		}
	}
}

func TestReadIDXWrongMagic(t *testing.T) {
	_, err := ReadIDXImages(bytes.NewReader(idxLabels(1, 2)))
	mustContain(t, err, "idx images", "magic number 0x00000801, expected 0x00000803")
	_, err = ReadIDXLabels(bytes.NewReader(idxImages(1, 2, 2, 0)), 10)
	mustContain(t, err, "idx labels", "magic number 0x00000803, expected 0x00000801")
	// Right magic but in a different byte order.
	b := idxLabels(1)
	b[0], b[3] = 0x01, 0x00
	b[2] = 0x08
	_, err = ReadIDXLabels(bytes.NewReader(b), 10)
	mustContain(t, err, "magic number 0x01000800")
}

func TestReadIDXHeaderPromisesMoreBytes(t *testing.T) {
	img := idxImages(5, 28, 28, 0)
	short := img[:16+3*28*28] // header says 5 images, payload has 3
	for name, in := range map[string][]byte{"raw": short, "gzip": gz(short)} {
		_, err := ReadIDXImages(bytes.NewReader(in))
		mustContain(t, err, "pixels (5 x 28 x 28)", "header promises 3920 bytes, got 2352")
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: %v does not wrap io.ErrUnexpectedEOF", name, err)
		}
	}
	lab := idxLabels(1, 2, 3, 4)
	_, err := ReadIDXLabels(bytes.NewReader(lab[:10]), 10)
	mustContain(t, err, "labels (4)", "header promises 4 bytes, got 2")

	// A huge promise with a tiny body fails without allocating the promise.
	huge := idxImages(1, 1, 1, 0)
	copy(huge[4:8], []byte{0x01, 0, 0, 0}) // 2^24 images of 28 x 28
	huge[11], huge[15] = 28, 28
	_, err = ReadIDXImages(bytes.NewReader(huge))
	mustContain(t, err, "header promises 13153337344 bytes, got 1")
	// Dimensions whose product overflows are refused outright.
	copy(huge[4:16], bytes.Repeat([]byte{0xff}, 12))
	_, err = ReadIDXImages(bytes.NewReader(huge))
	mustContain(t, err, "exceed")
}

func TestReadIDXShortHeaderZeroDimTrailing(t *testing.T) {
	_, err := ReadIDXImages(bytes.NewReader(idxImages(1, 2, 2, 0)[:9]))
	mustContain(t, err, "header: expected 16 bytes, got 9")
	_, err = ReadIDXImages(bytes.NewReader(nil))
	mustContain(t, err, "header: expected 16 bytes, got 0")
	_, err = ReadIDXImages(bytes.NewReader(idxImages(2, 0, 3, 0)))
	mustContain(t, err, "dimension 1 is 0")
	_, err = ReadIDXLabels(bytes.NewReader(idxLabels()), 10)
	mustContain(t, err, "dimension 0 is 0")
	_, err = ReadIDXImages(bytes.NewReader(append(idxImages(1, 2, 2, 0), 7)))
	mustContain(t, err, "trailing data after the 4 bytes")
}

func TestReadIDXLabelsOutOfRange(t *testing.T) {
	_, err := ReadIDXLabels(bytes.NewReader(idxLabels(0, 3, 10, 1)), 10)
	mustContain(t, err, "label 10 at index 2, expected 0..9")
	if !errors.Is(err, errLabelRange) {
		t.Errorf("%v does not wrap errLabelRange", err)
	}
	_, err = ReadIDXLabels(bytes.NewReader(gz(idxLabels(255))), 10)
	mustContain(t, err, "label 255 at index 0")
	_, err = ReadIDXLabels(bytes.NewReader(idxLabels(1)), 0)
	mustContain(t, err, "classes = 0")
}

func TestReadIDXTruncatedGzip(t *testing.T) {
	full := gz(idxImages(4, 8, 8, 3))
	// Every cut point, from inside the gzip header to inside its 8-byte trailer.
	for cut := 2; cut < len(full); cut++ {
		_, err := ReadIDXImages(bytes.NewReader(full[:cut]))
		if err == nil {
			t.Fatalf("cut at %d of %d: no error", cut, len(full))
		}
		if !strings.Contains(err.Error(), "gzip") {
			t.Errorf("cut at %d of %d: error %q does not mention gzip", cut, len(full), err)
		}
	}
	// A corrupted CRC is caught too (the reader reads to the end of the stream).
	bad := append([]byte{}, full...)
	bad[len(bad)-5] ^= 0xff
	_, err := ReadIDXImages(bytes.NewReader(bad))
	mustContain(t, err, "gzip stream truncated or corrupt")
}
