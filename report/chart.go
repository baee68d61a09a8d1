package report

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Chart sizes in pixels, and the resolution at which a PNG is drawn.
const (
	ChartWidth  = 960
	ChartHeight = 540
	chartDPI    = 96
)

var (
	colorVariant   = color.RGBA{R: 0x4c, G: 0x78, B: 0xa8, A: 0xff} // blue
	colorReference = color.RGBA{R: 0x8a, G: 0x8a, B: 0x8a, A: 0xff} // grey
	colorLower     = color.RGBA{R: 0xd6, G: 0x4f, B: 0x3f, A: 0xff} // red: significantly lower
	colorHigher    = color.RGBA{R: 0x3f, G: 0x9e, B: 0x5a, A: 0xff} // green: significantly higher
)

func px(n int) vg.Length { return vg.Length(n) * vg.Inch / chartDPI }

// chartFonts are the Liberation faces that plot registers; sans reads better on a
// chart than plot's serif default.
var chartFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// plot builds the bar chart: accuracy per variant with its Wilson interval as error
// bars, the reference grey with a dashed line at its accuracy, a variant that is
// significantly lower red and higher green, each bar labelled with its value.
// Labels are in English: the plot's fonts have no CJK glyphs.
func (c *Comparison) plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s (%d items): accuracy with 95%% %s interval", c.Evalset.Name, c.Evalset.Count, c.chartTerms()[0])
	p.Title.TextStyle.Font = font.From(chartFont, 15)
	p.Title.Padding = vg.Points(8)
	p.Y.Label.Text = "accuracy (%)"
	p.X.Label.Text = fmt.Sprintf("grey: reference %s (dashed line); red / green: significantly lower / higher (%s, α = %s)",
		c.Reference, c.chartTerms()[1], formatAlpha(c.Alpha))
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(chartFont, 11)
		a.Tick.Label.Font = font.From(chartFont, 12)
	}
	p.X.Label.TextStyle.Color = color.Gray{Y: 0x55}
	p.Y.Min, p.Y.Max = 0, 108 // room for the value labels above a bar at 100%
	p.Y.Tick.Marker = percentTicks{}
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	p.Add(grid)

	n := len(c.Variants)
	width := px(ChartWidth) * 0.6 / vg.Length(max(n, 2))
	names := make([]string, n)
	errXY := make(plotter.XYs, n)
	errs := make(plotter.YErrors, n)
	labelXY := make([]plotter.XY, n)
	labelText := make([]string, n)
	for i := range c.Variants {
		v := &c.Variants[i]
		names[i] = v.Label + "\nreference"
		if p := v.VsRef; p != nil {
			names[i] = fmt.Sprintf("%s\n%s pts, %s", v.Label, FormatPoints(p.Diff), PEquals(p.P))
		}
		acc := v.Score.Accuracy * 100
		bar, err := plotter.NewBarChart(plotter.Values{acc}, width)
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		bar.XMin = float64(i)
		bar.LineStyle.Width = 0
		bar.Color = barColor(v)
		p.Add(bar)
		errXY[i] = plotter.XY{X: float64(i), Y: acc}
		errs[i].Low = acc - v.Score.Lo*100
		errs[i].High = v.Score.Hi*100 - acc
		labelXY[i] = plotter.XY{X: float64(i), Y: v.Score.Hi*100 + 1.5}
		labelText[i] = fmt.Sprintf("%.1f%%  (%d/%d)", acc, v.Score.OK, v.Score.Count)
	}
	eb, err := plotter.NewYErrorBars(struct {
		plotter.XYer
		plotter.YErrorer
	}{errXY, errs})
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	eb.LineStyle.Width = vg.Points(1.5)
	eb.CapWidth = width / 3
	p.Add(eb)

	line, err := referenceLine(c.ref().Score.Accuracy*100, n)
	if err != nil {
		return nil, err
	}
	p.Add(line)
	labels, err := valueLabels(labelXY, labelText)
	if err != nil {
		return nil, err
	}
	p.Add(labels)

	p.NominalX(names...)
	p.X.Tick.LineStyle.Width = 0
	p.X.Min, p.X.Max = -0.6, float64(n)-0.4
	return p, nil
}

// barColor is a variant's bar colour: the reference's, or its verdict's.
func barColor(v *Variant) color.Color {
	switch {
	case v.Reference:
		return colorReference
	case v.VsRef != nil && v.VsRef.Verdict == VerdictLower:
		return colorLower
	case v.VsRef != nil && v.VsRef.Verdict == VerdictHigher:
		return colorHigher
	}
	return colorVariant
}

// referenceLine is the dashed line at the reference's accuracy across n bars.
func referenceLine(acc float64, n int) (*plotter.Line, error) {
	line, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: acc}, {X: float64(n) - 0.5, Y: acc}})
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	line.LineStyle.Dashes = []vg.Length{vg.Points(5), vg.Points(4)}
	line.LineStyle.Color = color.Gray{Y: 0x40}
	line.LineStyle.Width = vg.Points(1)
	return line, nil
}

// valueLabels writes each bar's accuracy and count above its interval.
func valueLabels(xy []plotter.XY, text []string) (*plotter.Labels, error) {
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: text})
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].Font = font.From(chartFont, 12)
		labels.TextStyle[i].XAlign = draw.XCenter
	}
	return labels, nil
}

// percentTicks marks 0..100 every 10 and nothing above 100.
type percentTicks struct{}

func (percentTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for v := 0; v <= 100; v += 10 {
		if float64(v) < min || float64(v) > max {
			continue
		}
		label := ""
		if v%20 == 0 {
			label = fmt.Sprint(v)
		}
		ts = append(ts, plot.Tick{Value: float64(v), Label: label})
	}
	return ts
}

// PNG draws the bar chart as a PNG of width × height pixels.
func (c *Comparison) PNG(w io.Writer, width, height int) error {
	p, err := c.plot()
	if err != nil {
		return err
	}
	return writePNG(w, p, width, height, "png")
}

// SVG draws the bar chart as SVG of width × height pixels.
func (c *Comparison) SVG(w io.Writer, width, height int) error {
	p, err := c.plot()
	if err != nil {
		return err
	}
	return writeSVG(w, p, width, height, "svg")
}

// writePNG draws p as a PNG of width × height pixels on white; what names the chart
// in an error.
func writePNG(w io.Writer, p *plot.Plot, width, height int, what string) error {
	cv := vgimg.NewWith(vgimg.UseWH(px(width), px(height)), vgimg.UseDPI(chartDPI), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(cv))
	if _, err := (vgimg.PngCanvas{Canvas: cv}).WriteTo(w); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// writeSVG draws p as SVG of width × height pixels; what names the chart in an error.
func writeSVG(w io.Writer, p *plot.Plot, width, height int, what string) error {
	cv := vgsvg.NewWith(vgsvg.UseWH(px(width), px(height)))
	p.Draw(draw.New(cv))
	if _, err := cv.WriteTo(w); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
