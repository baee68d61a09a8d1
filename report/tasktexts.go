package report

// The words of the task sections (code, IFEval) by language, kept beside those
// sections and added to texts when the package starts.
var taskTexts = map[string]map[string]string{
	"en": {
		"codetitle":    "Code: pass@1",
		"failedprogs":  "failed programs",
		"ifevaltitle":  "IFEval: instruction following",
		"ifevalchange": "IFEval per instruction: %s against %s, largest drop first (strict)",
	},
	"zh": {
		"codetitle":    "代码：pass@1",
		"failedprogs":  "未通过的程序",
		"ifevaltitle":  "IFEval：指令遵循",
		"ifevalchange": "IFEval 逐条指令：%s 相对 %s，按下降幅度排序（严格）",
	},
}

func init() {
	for lang, words := range taskTexts {
		for k, v := range words {
			texts[lang][k] = v
		}
	}
}
