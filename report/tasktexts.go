package report

// The words of the task sections (code, IFEval) by language, kept beside those
// sections and added to texts when the package starts.
var taskTexts = map[string]map[string]string{
	"en": {
		"codetitle":    "Code: pass@1",
		"failedprogs":  "failed programs",
		"ifevaltitle":  "IFEval: instruction following",
		"ifevalchange": "IFEval per instruction: %s against %s, largest drop first (strict)",
		"prompts":      "prompts",
		"pstrict":      "prompt strict",
		"ploose":       "prompt loose",
		"istrict":      "instruction strict",
		"iloose":       "instruction loose",
		"instruction":  "instruction",
		"deltapoints":  "Δ (points)",
		"ifevalnote":   "Prompt-level strict (every instruction followed, reply as written) is the accuracy; loose also tries the reply without its first line, its last line or its asterisks.",
		"moreinst":     "%d more instructions in the JSON and HTML reports.",
		"unsafeexec":   " (unsafe exec)",
		"codenote":     "pass@1 is the share of tasks whose program passed every test; the paired test and flips are over the code items both runs have.",
		"codenoterep":  "pass@1 is the mean over tasks of each task's share of samples whose program passed every test (avg@n), with its t interval over tasks; pass@k is Chen et al.'s (2021) unbiased estimator; the paired sign-flip test and flips (tasks whose pass rate fell/rose) are over the code items both runs have.",
	},
	"zh": {
		"codetitle":    "代码：pass@1",
		"failedprogs":  "未通过的程序",
		"ifevaltitle":  "IFEval：指令遵循",
		"ifevalchange": "IFEval 逐条指令：%s 相对 %s，按下降幅度排序（严格）",
		"prompts":      "提示数",
		"pstrict":      "提示级（严格）",
		"ploose":       "提示级（宽松）",
		"istrict":      "指令级（严格）",
		"iloose":       "指令级（宽松）",
		"instruction":  "指令",
		"deltapoints":  "Δ（百分点）",
		"ifevalnote":   "准确率为提示级严格指标（每条指令都遵循，按原样评判回复）；宽松指标还会尝试去掉回复的首行、末行或星号后再评判。",
		"moreinst":     "另有 %d 条指令见 JSON 和 HTML 报告。",
		"unsafeexec":   "（未隔离执行）",
		"codenote":     "pass@1 为程序通过全部测试的任务占比；配对检验与翻转只计两次运行都有的代码题。",
		"codenoterep":  "pass@1 为各任务通过全部测试的样本占比在任务上的平均（avg@n），附任务间 t 区间；pass@k 为 Chen 等（2021）的无偏估计；配对符号翻转检验与翻转（通过率下降/上升的任务）只计两次运行都有的代码题。",
	},
}

func init() { addTexts(taskTexts) }
