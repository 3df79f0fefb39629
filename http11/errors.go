package http11

import "strconv"

// Error is a rejected request: the status to answer with and a short reason.
// Every error this package returns is a *Error. The values are shared and
// preallocated (rejecting costs no allocation): never modify one.
type Error struct {
	Status int    // HTTP status code to answer with
	Reason string // short, human, safe to send to the peer
}

// Error returns "<status> <reason>".
func (e *Error) Error() string { return strconv.Itoa(e.Status) + " " + e.Reason }

// Is makes errors.Is(err, ErrBadRequest) (and the other class sentinels)
// true for every error of that class, whatever its Reason.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrBadRequest, ErrURITooLong, ErrHeaderTooLarge, ErrVersion,
		ErrNotImplemented, ErrExpectation:
		return target.(*Error).Status == e.Status
	}
	return false
}

// Class sentinels: compare with errors.Is, or read Status.
var (
	// ErrBadRequest (400) matches every malformed or ambiguous message.
	ErrBadRequest = &Error{400, "bad request"}
	// ErrURITooLong (414): MaxHeaderBytes ran out inside the request-target.
	ErrURITooLong = &Error{414, "request-target too long"}
	// ErrHeaderTooLarge (431): the head exceeds MaxHeaderBytes or MaxFields,
	// or a chunked body's trailer section exceeds MaxTrailerBytes.
	ErrHeaderTooLarge = &Error{431, "request header fields too large"}
	// ErrVersion (505): a well-formed HTTP version whose major is not 1.
	ErrVersion = &Error{505, "HTTP version not supported"}
	// ErrNotImplemented (501): a transfer coding other than chunked.
	ErrNotImplemented = &Error{501, "transfer coding not implemented"}
	// ErrExpectation (417): an Expect other than 100-continue.
	ErrExpectation = &Error{417, "expectation not supported"}
)

// The reasons behind a 400, one value each so tests and logs can tell them
// apart; all match ErrBadRequest.
var (
	errBareLF         = bad("bare LF")
	errBareCR         = bad("bare CR")
	errMethod         = bad("invalid method")
	errRequestLine    = bad("malformed request line")
	errTarget         = bad("invalid byte in request-target")
	errPercent        = bad("invalid percent-encoding in request-target")
	errHTTPVersion    = bad("malformed HTTP version")
	errObsFold        = bad("obsolete line folding")
	errFieldName      = bad("invalid field name")
	errSpaceColon     = bad("whitespace before colon")
	errNoColon        = bad("field line without colon")
	errFieldValue     = bad("invalid byte in field value")
	errCLInvalid      = bad("invalid Content-Length")
	errCLDuplicate    = bad("duplicate Content-Length")
	errTEInvalid      = bad("malformed Transfer-Encoding")
	errTENotLast      = bad("chunked is not the last transfer coding")
	errTETwice        = bad("chunked applied twice")
	errTEHTTP10       = bad("Transfer-Encoding in an HTTP/1.0 request")
	errCLAndTE        = bad("both Content-Length and Transfer-Encoding")
	errHostMissing    = bad("missing Host")
	errHostDuplicate  = bad("more than one Host")
	errHostInvalid    = bad("invalid Host")
	errChunkSize      = bad("invalid chunk size")
	errChunkSizeLarge = bad("chunk size too large")
	errChunkExt       = bad("invalid chunk extension")
	errChunkLine      = bad("chunk size line too long")
	errChunkCRLF      = bad("missing CRLF after chunk data")
	errTrailer        = bad("invalid trailer field")

	errTrailerTooLarge = &Error{431, "trailer section too large"}
	errTooManyFields   = &Error{431, "too many header fields"}
)

func bad(reason string) *Error { return &Error{400, reason} }
