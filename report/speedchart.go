package report

import (
	"errors"
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// errNoSpeed is asked for a speed chart of a comparison without bench results.
var errNoSpeed = errors.New("no bench results: no accuracy-throughput chart")

// speedPoint is one variant on the accuracy-throughput chart.
type speedPoint struct {
	label      string
	x          float64 // output tokens/s at the chart's level
	xLo, xHi   float64 // its spread over repeats
	acc        float64 // percent
	lo, hi     float64
	reference  bool
	colorOfBar color.Color
}

// speedPoints are the variants with a throughput at the chart's level.
func (c *Comparison) speedPoints() []speedPoint {
	var pts []speedPoint
	for i := range c.Variants {
		v := &c.Variants[i]
		sv := c.Speed.variant(v.Label)
		if sv == nil {
			continue
		}
		l := sv.At(c.Speed.Level)
		if l == nil {
			continue
		}
		pts = append(pts, speedPoint{label: v.Label, x: l.OutputTPS.Mean, xLo: l.OutputTPS.Min, xHi: l.OutputTPS.Max,
			acc: v.Score.Accuracy * 100, lo: v.Score.Lo * 100, hi: v.Score.Hi * 100, reference: v.Reference, colorOfBar: barColor(v)})
	}
	return pts
}

// speedPlot is the accuracy-throughput chart: x the output tokens/s at the speed
// level (with the range over repeats), y the accuracy with its Wilson interval;
// the reference is a grey triangle, the others dots coloured as their bars.
func (c *Comparison) speedPlot() (*plot.Plot, error) {
	if c.Speed == nil {
		return nil, errNoSpeed
	}
	pts := c.speedPoints()
	if len(pts) == 0 {
		return nil, fmt.Errorf("no variant has a throughput at concurrency %d", c.Speed.Level)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: accuracy against output tokens/s at concurrency %d", c.Evalset.Name, c.Speed.Level)
	p.Title.TextStyle.Font = font.From(chartFont, 15)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = fmt.Sprintf("output tokens/s at concurrency %d (bars: range over repeats); grey triangle: reference %s", c.Speed.Level, c.Reference)
	p.Y.Label.Text = "accuracy (%), 95% Wilson interval"
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(chartFont, 11)
		a.Tick.Label.Font = font.From(chartFont, 12)
	}
	p.Add(plotter.NewGrid())
	xy := make(plotter.XYs, len(pts))
	yerr := make(plotter.YErrors, len(pts))
	xerr := make(plotter.XErrors, len(pts))
	labels := make([]string, len(pts))
	xMax, yMin, yMax := 0.0, 100.0, 0.0
	for i, pt := range pts {
		xy[i] = plotter.XY{X: pt.x, Y: pt.acc}
		yerr[i] = struct{ Low, High float64 }{pt.acc - pt.lo, pt.hi - pt.acc}
		xerr[i] = struct{ Low, High float64 }{pt.x - pt.xLo, pt.xHi - pt.x}
		labels[i] = fmt.Sprintf("  %s %.1f%%", pt.label, pt.acc)
		xMax, yMin, yMax = max(xMax, pt.xHi), min(yMin, pt.lo), max(yMax, pt.hi)
	}
	errs := struct {
		plotter.XYer
		plotter.YErrorer
		plotter.XErrorer
	}{xy, yerr, xerr}
	yb, err := plotter.NewYErrorBars(errs)
	if err != nil {
		return nil, fmt.Errorf("speed chart: %w", err)
	}
	xb, err := plotter.NewXErrorBars(errs)
	if err != nil {
		return nil, fmt.Errorf("speed chart: %w", err)
	}
	yb.LineStyle.Width, xb.LineStyle.Width = vg.Points(1.2), vg.Points(1.2)
	p.Add(yb, xb)
	for _, pt := range pts {
		sc, err := plotter.NewScatter(plotter.XYs{{X: pt.x, Y: pt.acc}})
		if err != nil {
			return nil, fmt.Errorf("speed chart: %w", err)
		}
		sc.GlyphStyle.Radius = vg.Points(5)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Color = pt.colorOfBar
		if pt.reference {
			sc.GlyphStyle.Shape = draw.PyramidGlyph{}
			sc.GlyphStyle.Radius = vg.Points(7)
		}
		p.Add(sc)
	}
	lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: labels})
	if err != nil {
		return nil, fmt.Errorf("speed chart: %w", err)
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].Font = font.From(chartFont, 12)
	}
	p.Add(lb)
	p.X.Min, p.X.Max = 0, xMax*1.25+1
	p.Y.Min, p.Y.Max = max(0, yMin-5), min(100, yMax+5)
	if p.Y.Max <= p.Y.Min {
		p.Y.Min, p.Y.Max = 0, 100
	}
	return p, nil
}

// SpeedPNG draws the accuracy-throughput chart as a PNG of width × height pixels.
func (c *Comparison) SpeedPNG(w io.Writer, width, height int) error {
	p, err := c.speedPlot()
	if err != nil {
		return err
	}
	return writePNG(w, p, width, height, "speed png")
}

// SpeedSVG draws the accuracy-throughput chart as SVG of width × height pixels.
func (c *Comparison) SpeedSVG(w io.Writer, width, height int) error {
	p, err := c.speedPlot()
	if err != nil {
		return err
	}
	return writeSVG(w, p, width, height, "speed svg")
}
