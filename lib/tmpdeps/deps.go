package tmpdeps

import (
	_ "github.com/go-echarts/go-echarts/v2/charts"
	_ "github.com/janpfeifer/gonb/gonbui"
	_ "gonum.org/v1/gonum/mat"
	
)
