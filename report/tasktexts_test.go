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
	for _, want := range []string{"**代码：pass@1**", "未通过的程序", "**IFEval：指令遵循**", "**IFEval 逐条指令：fp4 相对 bf16，按下降幅度排序（严格）**",
		"提示级（严格）", "指令级（宽松）", "| 指令 |", "Δ（百分点）", "准确率为提示级严格指标", "pass@1 为程序通过全部测试的任务占比"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("zh Markdown lacks %q:\n%s", want, md.String())
		}
	}
	for _, english := range []string{"Code: pass@1", "prompt strict", "instruction loose", "| instruction |", "Prompt-level strict", "pass@1 is the share"} {
		if strings.Contains(md.String(), english) {
			t.Errorf("zh Markdown keeps the English %q", english)
		}
	}
	if strings.Contains(md.String(), "Code: pass@1") {
		t.Errorf("zh Markdown keeps the English title:\n%s", md.String())
	}
}
