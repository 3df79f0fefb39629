package phttp

import "strings"

// HeaderField is one header line, with the name as it was sent or set.
type HeaderField struct {
	Name, Value string
}

// Header is an ordered list of header fields. Lookups ignore the case of
// names; order and repeated fields are kept as they came, so what a
// handler sees is what the client sent. A Header is not safe for use by
// several goroutines at once.
type Header []HeaderField

// Get returns the value of the first field named name, or "". Like every
// Header method, it is safe from several goroutines only while none of
// them changes the Header.
func (h Header) Get(name string) string {
	for i := range h {
		if strings.EqualFold(h[i].Name, name) {
			return h[i].Value
		}
	}
	return ""
}

// Values returns the values of every field named name, in order. Read-only,
// like Get.
func (h Header) Values(name string) []string {
	var vs []string
	for i := range h {
		if strings.EqualFold(h[i].Name, name) {
			vs = append(vs, h[i].Value)
		}
	}
	return vs
}

// Has reports whether a field named name is present. Read-only, like Get.
func (h Header) Has(name string) bool {
	for i := range h {
		if strings.EqualFold(h[i].Name, name) {
			return true
		}
	}
	return false
}

// Add appends a field. It changes h: not safe while another goroutine
// uses h.
func (h *Header) Add(name, value string) {
	*h = append(*h, HeaderField{Name: name, Value: value})
}

// Set replaces every field named name with one field, kept at the place of
// the first one (or appended). It changes h, like Add.
func (h *Header) Set(name, value string) {
	fields := *h
	for i := range fields {
		if strings.EqualFold(fields[i].Name, name) {
			fields[i].Value = value
			*h = append(fields[:i+1], fields[i+1:].withoutName(name)...)
			return
		}
	}
	*h = append(fields, HeaderField{Name: name, Value: value})
}

// Del removes every field named name. It changes h, like Add.
func (h *Header) Del(name string) {
	*h = (*h).withoutName(name)
}

// withoutName filters in place: the result shares h's backing array.
func (h Header) withoutName(name string) Header {
	kept := h[:0]
	for _, f := range h {
		if !strings.EqualFold(f.Name, name) {
			kept = append(kept, f)
		}
	}
	clear(h[len(kept):])
	return kept
}
