package plan

import "github.com/quanteval/quanteval/internal/yamltree"

// Error is one problem in a plan, at a line and a key (a path such as
// variants[1].ready_timeout; "" for the whole file).
type Error = yamltree.Error

// decoder walks the plan's YAML tree (yamltree.Decoder); the plan's own parts hang
// off it.
type decoder struct{ yamltree.Decoder }
