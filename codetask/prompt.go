package codetask

import (
	"fmt"
	"strings"
)

// ChatPrompt is the user message that asks for a task's solution: a self-contained
// Python program in one fenced block. MBPP's shows the asserts, as the MBPP paper's
// prompt does, so that the model knows the function's name and signature.
func ChatPrompt(t Task) string {
	if t.Kind == MBPP {
		return fmt.Sprintf("%s\nYour code should pass these tests:\n\n%s\n\n"+
			"Reply with a self-contained Python program in one ```python fenced block.",
			strings.TrimSpace(t.Prompt), strings.Join(t.TestList, "\n"))
	}
	return fmt.Sprintf("Complete the following Python function. Reply with a self-contained Python program "+
		"(the imports it needs and the whole function) in one ```python fenced block.\n\n```python\n%s\n```",
		strings.TrimRight(t.Prompt, "\n"))
}
