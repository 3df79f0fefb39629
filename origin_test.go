package phttp

import "testing"

func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		origin, host string
		want         bool
	}{
		{"", "localhost:8080", true},
		{"http://localhost:8080", "localhost:8080", true},
		{"http://LOCALHOST:8080", "localhost:8080", true},
		{"http://localhost", "localhost:80", true},
		{"http://localhost:80", "localhost", true},
		{"http://[::1]:8080", "[::1]:8080", true},
		{"http://[::1]", "[::1]:80", true},
		{"https://localhost:8080", "localhost:8080", false}, // another scheme
		{"http://localhost:8081", "localhost:8080", false},
		{"http://evil.example", "localhost", false},
		{"null", "localhost", false},
		{"http://user@localhost:8080", "localhost:8080", false},
		{"http://localhost:8080/path", "localhost:8080", false},
	} {
		r := &Request{Host: tc.host}
		if tc.origin != "" {
			r.Header = Header{{"Origin", tc.origin}}
		}
		if got := SameOrigin(r); got != tc.want {
			t.Errorf("Origin %q, Host %q: %v, want %v", tc.origin, tc.host, got, tc.want)
		}
	}
	two := &Request{Host: "localhost", Header: Header{{"Origin", "http://localhost"}, {"Origin", "http://localhost"}}}
	if SameOrigin(two) {
		t.Error("two Origin fields accepted")
	}
}
