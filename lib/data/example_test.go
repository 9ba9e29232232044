package data_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log"
	"os"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/data"
)

// Reading an IDX image file from any io.Reader: here two 2x2 images built in memory.
func ExampleReadIDXImages() {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, [4]uint32{0x00000803, 2, 2, 2}) // magic, N, rows, cols
	b.Write([]byte{0, 51, 102, 255, 1, 2, 3, 4})
	img, err := data.ReadIDXImages(&b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.N, img.Rows, img.Cols, img.Pix[:4])
	// Output: 2 2 2 [0 51 102 255]
}

// The paper's class subsets: the first 2 labels, 2 samples each, from a seeded shuffle.
func ExampleSet_Subset() {
	labels := []int{0, 1, 2, 0, 1, 2, 0, 1, 2, 0}
	x := mat.NewDense(len(labels), 1, nil)
	for i := range labels {
		x.Set(i, 0, float64(i))
	}
	s := &data.Set{Name: "toy", X: x, Labels: labels, Channels: 1, Height: 1, Width: 1, Classes: 3}
	sub, err := s.Subset(2, 2, 7)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sub.Len(), sub.ClassCounts(), len(sub.Indices))
	_, err = s.Subset(3, 4, 7)
	fmt.Println(err)
	// Output:
	// 4 [2 2 0] 4
	// data: Subset of toy: class 1 has 3 samples, 4 requested per class
}

// Loading MNIST: from ./data, $NOISECURV_DATA, the GoMNIST module or a download, verified.
func ExampleLoad() {
	train, err := data.Load(data.MNIST, true, data.Options{Progress: os.Stderr})
	if err != nil {
		log.Fatal(err) // lists every place tried and the fetch command
	}
	sub, err := train.Subset(3, 2000, 1) // the paper's C' = 3, N = 2000 per class
	if err != nil {
		log.Fatal(err)
	}
	r, c := sub.X.Dims()
	fmt.Println(r, c)
}
