package vllmtest

import (
	"math"
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Like Python's json with ensure_ascii off
// (what vLLM's pydantic writes), it leaves non-ASCII text as UTF-8; invalid bytes
// become U+FFFD as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendFloat appends f as a JSON number; JSON has no NaN or infinities, so those
// become vLLM's floor for a log-probability, -9999.0.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = -9999
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendHex32 appends n as 32 lower-case hex digits, the length of vLLM's random ids.
func appendHex32(b []byte, n uint64) []byte {
	b = append(b, "0000000000000000"...)
	for i := 60; i >= 0; i -= 4 {
		b = append(b, hexDigits[(n>>uint(i))&0xf])
	}
	return b
}
