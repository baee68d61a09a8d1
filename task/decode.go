package task

import "github.com/quanteval/quanteval/internal/yamltree"

// decoder walks a spec's YAML tree (yamltree.Decoder, as the plan does); the spec's
// own parts hang off it.
type decoder struct{ yamltree.Decoder }
