package codetask

import "testing"

func TestExtract(t *testing.T) {
	cases := []struct {
		name, reply, want string
		ok                bool
	}{
		{"python block", "Here:\n```python\ndef f():\n    return 1\n```\nDone.", "def f():\n    return 1\n", true},
		{"last python block wins", "```python\nx = 1\n```\ntext\n```python\nx = 2\n```\n", "x = 2\n", true},
		{"python over a later other block", "```python\nx = 1\n```\n```text\nout: 1\n```", "x = 1\n", true},
		{"py and python3 tags", "```py\na = 1\n```\n```python3\nb = 2\n```", "b = 2\n", true},
		{"tag with more words", "```python title=sol.py\nc = 3\n```", "c = 3\n", true},
		{"last untagged block", "```\nu = 1\n```\n```\nu = 2\n```", "u = 2\n", true},
		{"other language when no python", "```js\nlet a\n```", "let a\n", true},
		{"no fence: the whole reply", "def f():\n    return 2\n", "def f():\n    return 2\n", true},
		{"unclosed fence runs to the end", "```python\ndef f():\n    return 3", "def f():\n    return 3\n", true},
		{"indented fence", "  ```python\n  y = 1\n  ```", "y = 1\n", true},
		{"fence in a list item", "1. The function:\n   ```python\n   def f(x):\n       return x\n   ```\n", "def f(x):\n    return x\n", true},
		{"body under an indented fence", "  ```python\n      return a + b\n  ```", "    return a + b\n", true},
		{"line indented less than the fence", "    ```python\n  x = 1\n    ```", "x = 1\n", true},
		{"four backticks close", "```python\nz = 1\n````", "z = 1\n", true},
		{"backticks inside code stay", "```python\ns = '```x'\n```", "s = '```x'\n", true},
		{"blank python block skipped", "```python\nq = 1\n```\n```python\n\n```", "q = 1\n", true},
		{"think removed", "<think>```python\nbad = 1\n```</think>\n```python\ngood = 1\n```", "good = 1\n", true},
		{"think removed, no fence", "<think>hmm</think>\nprint(1)", "print(1)\n", true},
		{"unclosed think", "<think>```python\nx = 1\n```", "", false},
		{"empty", "", "", false},
		{"blank", "  \n\t\n", "", false},
		{"only blank blocks", "```python\n\n```", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Extract(c.reply)
			if got != c.want || ok != c.ok {
				t.Errorf("Extract(%q) = %q, %v; want %q, %v", c.reply, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestDefinesFunc(t *testing.T) {
	cases := []struct {
		code string
		want bool
	}{
		{"def add(a, b):\n    return a + b", true},
		{"class S:\n    def add(self, a):\n        pass", true},
		{"async def add(a):\n    pass", true},
		{"def add (a):\n    pass", true},
		{"def add_one(a):\n    pass", false},
		{"return add(a, b)", false},
		{"# def add(a):", false},
		{"    return a + b", false},
	}
	for _, c := range cases {
		if got := definesFunc(c.code, "add"); got != c.want {
			t.Errorf("definesFunc(%q, add) = %v, want %v", c.code, got, c.want)
		}
	}
}
