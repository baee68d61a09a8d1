package report

import (
	"bytes"
	"strings"
	"testing"
)

// Every word of the task sections is in both languages, and --lang zh titles them
// in Chinese.
func TestTaskSectionsChinese(t *testing.T) {
	for k := range taskTexts["en"] {
		if taskTexts["zh"][k] == "" {
			t.Errorf("%s: no zh text", k)
		}
	}
	c, err := Build(taskInputs(), Options{Labels: []string{"fp4", "bf16"}, Lang: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := c.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**代码：pass@1**", "未通过的程序", "**IFEval：指令遵循**", "**IFEval 逐条指令：fp4 相对 bf16，按下降幅度排序（严格）**"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("zh Markdown lacks %q:\n%s", want, md.String())
		}
	}
	if strings.Contains(md.String(), "Code: pass@1") {
		t.Errorf("zh Markdown keeps the English title:\n%s", md.String())
	}
}
