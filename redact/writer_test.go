package redact

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestWriterSplitsAnywhere(t *testing.T) {
	r := New("sk-streamed-secret", "hf_other_token")
	text := "INFO args: {'api_key': 'sk-streamed-secret', 'hf': 'hf_other_token'} sk-streamed-secre\nend sk-streamed-secret"
	want := "INFO args: {'api_key': '***', 'hf': '***'} sk-streamed-secre\nend ***"
	// Every split of the text into two writes, and one write per byte.
	for cut := 0; cut <= len(text); cut++ {
		var b bytes.Buffer
		w := r.NewWriter(&b)
		for _, part := range []string{text[:cut], text[cut:]} {
			if n, err := w.Write([]byte(part)); err != nil || n != len(part) {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Fatalf("cut at %d: wrote %q\nwant %q", cut, b.String(), want)
		}
	}
	var b bytes.Buffer
	w := r.NewWriter(&b)
	for i := range len(text) {
		w.Write([]byte{text[i]})
	}
	w.Close()
	if b.String() != want {
		t.Errorf("byte by byte: wrote %q", b.String())
	}
}

func TestWriterHoldsOnlyAPossibleStart(t *testing.T) {
	var b bytes.Buffer
	w := New("sk-streamed-secret").NewWriter(&b)
	w.Write([]byte("line one\nline two sk-str"))
	if b.String() != "line one\nline two " {
		t.Errorf("before Close: %q, want all but the possible start of a value", b.String())
	}
	w.Write([]byte("ange\n"))
	if b.String() != "line one\nline two sk-strange\n" {
		t.Errorf("after a write that did not complete the value: %q", b.String())
	}
	var plain bytes.Buffer
	pw := (*Redactor)(nil).NewWriter(&plain)
	pw.Write([]byte("as is"))
	if plain.String() != "as is" {
		t.Errorf("a nil Redactor's writer held %q back", "as is")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterKeepsTheError(t *testing.T) {
	w := New("sk-streamed-secret").NewWriter(failWriter{})
	if _, err := w.Write([]byte("text\n")); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Write = %v", err)
	}
	if _, err := w.Write([]byte("more\n")); err == nil {
		t.Error("a later Write forgot the error")
	}
	if err := w.Close(); err == nil {
		t.Error("Close forgot the error")
	}
}

// BenchmarkWriter is a server log through the filter: 100-byte lines, 8 secrets.
func BenchmarkWriter(b *testing.B) {
	r := New("sk-0123456789abcdef", "hf_abcdefghijklmnopqrstuvwxyz", "proxy-password", "p4", "another-secret-5",
		"another-secret-6", "another-secret-7", "another-secret-8")
	line := []byte(fmt.Sprintf("%-99s\n", `INFO 11-30 10:12:39 [api_server.py:1] 127.0.0.1:52500 - "POST /v1/chat/completions HTTP/1.1" 200`))
	w := r.NewWriter(io.Discard)
	b.SetBytes(int64(len(line)))
	for range b.N {
		w.Write(line)
	}
}
