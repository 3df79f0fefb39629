package sha1

import "encoding/base64"

// keyLen is the length of a valid Sec-WebSocket-Key: 16 random bytes in
// padded standard base64.
const keyLen = 24

// ValidKey reports whether key is a well-formed Sec-WebSocket-Key: standard,
// padded base64 that decodes to exactly 16 bytes (RFC 6455 §4.1 item 7).
//
// The length is checked before decoding because encoding/base64 skips '\r'
// and '\n' anywhere in its input; requiring exactly 24 characters leaves no
// room for them, so a key with line breaks never passes.
func ValidKey(key string) bool {
	if len(key) != keyLen {
		return false
	}
	var src [keyLen]byte
	copy(src[:], key)
	// 18 bytes: what 24 characters could decode to without padding, so a
	// key that is not padded as a 16-byte value still decodes and is then
	// rejected by the length check rather than by a short buffer.
	var dst [18]byte
	n, err := base64.StdEncoding.Decode(dst[:], src[:])
	return err == nil && n == 16
}
