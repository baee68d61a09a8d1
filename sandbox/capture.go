package sandbox

import "sync"

// Output is what a program wrote to one stream: at most OutputLimit bytes of it.
type Output struct {
	Data  []byte
	Total int64 // bytes written in all
}

// Truncated reports whether bytes were discarded.
func (o Output) Truncated() bool { return int64(len(o.Data)) < o.Total }

// headBuffer keeps the first limit bytes written to it and counts the rest.
type headBuffer struct {
	mu    sync.Mutex
	limit int
	data  []byte
	total int64
}

func (b *headBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total += int64(len(p))
	if room := b.limit - len(b.data); room > 0 {
		b.data = append(b.data, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *headBuffer) output() Output {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Output{Data: append([]byte(nil), b.data...), Total: b.total}
}

// tailBuffer keeps the last limit bytes written to it and counts all.
type tailBuffer struct {
	mu    sync.Mutex
	limit int
	ring  []byte // len(ring) == limit once full; next write at pos
	pos   int
	total int64
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total += int64(len(p))
	q := p
	if len(q) > b.limit {
		q = q[len(q)-b.limit:]
	}
	for len(q) > 0 {
		if len(b.ring) < b.limit {
			n := min(b.limit-len(b.ring), len(q))
			b.ring = append(b.ring, q[:n]...)
			q = q[n:]
			continue
		}
		n := copy(b.ring[b.pos:], q)
		b.pos = (b.pos + n) % b.limit
		q = q[n:]
	}
	return len(p), nil
}

func (b *tailBuffer) output() Output {
	b.mu.Lock()
	defer b.mu.Unlock()
	data := make([]byte, 0, len(b.ring))
	if len(b.ring) < b.limit {
		data = append(data, b.ring...)
	} else {
		data = append(append(data, b.ring[b.pos:]...), b.ring[:b.pos]...)
	}
	return Output{Data: data, Total: b.total}
}
