package testenv

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestFakeVLLMBuiltOnce(t *testing.T) {
	a := FakeVLLM(t)
	st, err := os.Stat(a)
	if err != nil || st.Mode()&0o111 == 0 {
		t.Fatalf("%s: %v, mode %v: want an executable", a, err, st)
	}
	if b := FakeVLLM(t); b != a {
		t.Errorf("second call built again: %s, then %s", a, b)
	}
}
