package eval

import "flag"

// Register adds a flag for every setting to fs, each writing into o; o's values at
// the time of the call are the flags' defaults (normally Defaults()).
func Register(fs *flag.FlagSet, o *Options) {
	for i := range Settings {
		s := &Settings[i]
		fs.Var(flagValue{s, o, new(bool)}, s.Flag, s.Help)
	}
}

// flagValue is a setting as a flag.Value. Values are checked by Options.Check once
// every flag is read, so that an error names the flag as the README writes it.
type flagValue struct {
	s    *Setting
	o    *Options
	seen *bool // a list flag given before: the next adds to it, not to the default
}

func (f flagValue) String() string {
	if f.s == nil || f.o == nil {
		return ""
	}
	return f.s.Format(*f.o)
}

// IsBoolFlag lets a boolean setting be given as --stream or --stream=false.
func (f flagValue) IsBoolFlag() bool { return f.s != nil && f.s.Kind() == Bool }

func (f flagValue) Set(text string) error {
	v, err := f.s.Parse(text)
	if err != nil {
		return err
	}
	if list, ok := v.([]string); ok && *f.seen {
		v = append(f.s.Value(*f.o).([]string), list...)
	}
	*f.seen = true
	f.s.store(f.o, v)
	return nil
}

// ShownDefault is the default of the setting named by flag as help and the README
// show it; ok is false when no setting has that flag.
func ShownDefault(flagName string) (text string, ok bool) {
	s := Lookup(flagName)
	if s == nil {
		return "", false
	}
	if s.DefaultText != "" {
		return s.DefaultText, true
	}
	return s.Format(Defaults()), true
}
