package http11

import "testing"

// The SWAR and unrolled scans must stop exactly where the table loops stop, for every
// byte value in every lane.
func TestSkipMatchesTables(t *testing.T) {
	for c := 0; c < 256; c++ {
		for lane := 0; lane < 8; lane++ {
			buf := []byte("aaaaaaaaaaaaaaaaaaaa")
			buf[lane] = byte(c)
			wantV, wantT, wantK := len(buf), len(buf), len(buf)
			if !tokenTab[c] {
				wantK = lane
			}
			if got := skipToken(buf, 0, len(buf)); got != wantK {
				t.Errorf("skipToken with %#x in lane %d: %d, want %d", c, lane, got, wantK)
			}
			if !valueTab[c] {
				wantV = lane
			}
			if !targetTab[c] {
				wantT = lane
			}
			if got := skipValue(buf, 0, len(buf)); got != wantV {
				t.Errorf("skipValue with %#x in lane %d: %d, want %d", c, lane, got, wantV)
			}
			if got := skipTarget(buf, 0, len(buf)); got != wantT {
				t.Errorf("skipTarget with %#x in lane %d: %d, want %d", c, lane, got, wantT)
			}
		}
	}
}

func TestTables(t *testing.T) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		isTchar := b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' ||
			b != 0 && b < 0x80 && in(b, "!#$%&'*+-.^_`|~")
		if tokenTab[c] != isTchar {
			t.Errorf("tokenTab[%#x] = %v", c, tokenTab[c])
		}
		if valueTab[c] != (b == '\t' || b >= 0x20 && b != 0x7F) {
			t.Errorf("valueTab[%#x] = %v", c, valueTab[c])
		}
		if targetTab[c] != (b > 0x20 && b < 0x7F && b != '%') {
			t.Errorf("targetTab[%#x] = %v", c, targetTab[c])
		}
	}
	if hexTab['f'] != 15 || hexTab['F'] != 15 || hexTab['9'] != 9 || hexTab['g'] != -1 || hexTab[0] != -1 {
		t.Error("hexTab")
	}
}
