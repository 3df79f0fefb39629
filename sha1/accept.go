package sha1

import (
	stdsha1 "crypto/sha1"
	"encoding/base64"
)

// websocketGUID is the fixed string RFC 6455 §1.3 appends to the client's key
// before hashing; it is what makes the answer specific to WebSocket.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptKeyLen is the length of every Sec-WebSocket-Accept value: base64 of a
// 20-byte SHA-1 digest.
const AcceptKeyLen = 28

// maxStackKey is the longest key hashed from a stack buffer. Every valid key
// is 24 bytes; longer input is hashed through a streaming digest instead,
// which allocates but stays correct for callers that skip ValidKey.
const maxStackKey = 64

// AcceptKey returns the Sec-WebSocket-Accept value for key:
// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
// It does not check key; call ValidKey first.
func AcceptKey(key string) string {
	var buf [AcceptKeyLen]byte
	return string(AppendAcceptKey(buf[:0], key))
}

// AppendAcceptKey appends the Sec-WebSocket-Accept value for key to dst and
// returns the extended slice. It allocates nothing when dst has room for
// AcceptKeyLen more bytes and key is at most 64 bytes long (every valid key
// is 24). It does not check key; call ValidKey first.
func AppendAcceptKey(dst []byte, key string) []byte {
	sum := digest(key)
	return base64.StdEncoding.AppendEncode(dst, sum[:])
}

// digest hashes key and the GUID. The concatenation is built in a stack
// array so that the common case costs no allocation; sha1.New would put the
// digest state on the heap.
func digest(key string) [stdsha1.Size]byte {
	if len(key) <= maxStackKey {
		var buf [maxStackKey + len(websocketGUID)]byte
		b := append(buf[:0], key...)
		b = append(b, websocketGUID...)
		return stdsha1.Sum(b)
	}
	h := stdsha1.New()
	h.Write([]byte(key))
	h.Write([]byte(websocketGUID))
	var sum [stdsha1.Size]byte
	h.Sum(sum[:0])
	return sum
}
