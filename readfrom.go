package phttp

import (
	"io"
	"os"
	"slices"
	"strconv"
	"syscall"
)

// fileRange is a stretch of a file queued for sendfile(2): the loop sends
// it straight from the page cache to the socket, and the ReadFrom that
// queued it waits for done, so the file stays the caller's to close.
type fileRange struct {
	raw  syscall.RawConn // the file, kept open by the waiting ReadFrom
	off  int64           // where the range starts in the file
	n    int64           // its length
	done chan error      // one outcome: nil when all of it was sent
}

// send writes what the socket takes of the range from sent bytes in. A
// file that ends early (truncated meanwhile) is an error: the answer's
// framing promised those bytes. The loop's.
func (f *fileRange) send(s sysSocket, sent int64) (int, error) {
	n, err := sendFile(s, f.raw, f.off+sent, min(f.n-sent, maxSendfile))
	if err == nil && n == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	return n, err
}

// maxSendfile bounds one sendfile call, so one download cannot hold the
// loop for long.
const maxSendfile = 4 << 20

func (f *fileRange) finish(err error) {
	select {
	case f.done <- err:
	default: // told already
	}
}

// ReadFrom sends src as the answer's body, or its next part, and returns
// how many bytes it sent; it implements io.ReaderFrom, so io.Copy(w, src)
// uses it. On a detached answer, from its goroutine, it streams with
// back-pressure: it waits while the connection's queue is full, never
// holding more than a piece of src in memory. An *os.File of a regular
// file on Linux goes out with sendfile(2), straight from the page cache;
// if nothing was sent yet and no Content-Length is set, its remaining size
// becomes the Content-Length. It returns ErrClosed once the client is
// gone. On an answer that is not detached it reads src whole into Body,
// like Write. While the handler call that detached the answer still runs,
// files are copied rather than sent with sendfile, which waits for the
// loop.
func (w *Response) ReadFrom(src io.Reader) (int64, error) {
	if !w.detached {
		return w.readAll(src)
	}
	if err := w.checkDetached(); err != nil {
		return 0, err
	}
	file := src
	limit := int64(-1)
	lr, limited := src.(*io.LimitedReader) // io.CopyN, http.ServeContent
	if limited {
		file, limit = lr.R, lr.N
	}
	if f, ok := file.(sendableFile); ok {
		if size, pos, ok := fileRest(f, limit); ok {
			if !w.wroteHead && w.declared < 0 && len(w.Body) == 0 && w.Header.Get("Content-Length") == "" && w.bodyAllowed() {
				w.Header.Set("Content-Length", strconv.FormatInt(size, 10))
			}
			if sendfileWorks && !w.inCall.Load() && w.c.tls == nil && w.h2 == nil { // TLS encrypts, HTTP/2 frames: no sendfile
				n, err, handled := w.sendFile(f, pos, size)
				if limited {
					lr.N -= n
				}
				if handled {
					return n, err
				}
			}
		}
	}
	return w.copyFrom(src)
}

// fileRest returns how many bytes of a regular file are left to read from
// its offset (at most limit, if limit ≥ 0), and that offset.
func fileRest(f sendableFile, limit int64) (size, pos int64, ok bool) {
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return 0, 0, false
	}
	if pos, err = f.Seek(0, io.SeekCurrent); err != nil {
		return 0, 0, false
	}
	size = max(info.Size()-pos, 0)
	if limit >= 0 {
		size = min(size, limit)
	}
	return size, pos, true
}

// readAll appends src to Body.
func (w *Response) readAll(src io.Reader) (int64, error) {
	var total int64
	for {
		if cap(w.Body)-len(w.Body) < 4096 {
			w.Body = slices.Grow(w.Body, max(len(w.Body), 32<<10))
		}
		n, err := src.Read(w.Body[len(w.Body):cap(w.Body)])
		w.Body = w.Body[:len(w.Body)+n]
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// copyPiece is how much of src a detached ReadFrom holds at a time.
const copyPiece = 64 << 10

// copyFrom streams src in pieces, each flushed (and so paid for with send
// credit) before the next is read.
func (w *Response) copyFrom(src io.Reader) (int64, error) {
	var total int64
	for {
		w.Body = slices.Grow(w.Body, copyPiece)
		n, rerr := src.Read(w.Body[len(w.Body) : len(w.Body)+copyPiece])
		w.Body = w.Body[:len(w.Body)+n]
		total += int64(n)
		if len(w.Body) > 0 {
			if err := w.Flush(); err != nil {
				return total, err
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// sendableFile is what sendfile(2) can send from: an *os.File, or the
// wrapper os.File.WriteTo hands to io.Copy (which hides ReadFrom's
// *os.File behind it when io.Copy(w, f) is called).
type sendableFile interface {
	syscall.Conn
	io.Seeker
	Stat() (os.FileInfo, error)
}

// sendFile queues size bytes of f from pos as one file range and waits
// until they are sent. handled is false when the answer cannot carry them
// raw; the caller copies them instead.
func (w *Response) sendFile(f sendableFile, pos, size int64) (n int64, err error, handled bool) {
	if err := w.Flush(); err != nil { // the head, and what Body holds
		return 0, err, true
	}
	if size <= 0 || !w.bodyAllowed() {
		return 0, nil, true
	}
	if w.declared >= 0 && w.sent+size > w.declared {
		return 0, nil, false // past the length: the copy path cuts it and reports ErrContentLength
	}
	raw, err := f.SyscallConn()
	if err != nil {
		return 0, nil, false
	}
	fr := &fileRange{raw: raw, off: pos, n: size, done: make(chan error, 1)}
	if w.chunked {
		if err := w.queue(append(strconv.AppendInt(nil, size, 16), "\r\n"...)); err != nil {
			return 0, err, true
		}
	}
	if err := w.lp.enqueue(w.c, outItem{file: fr}, sendWait, kindAnswer); err != nil {
		return 0, err, true
	}
	err = <-fr.done
	if w.chunked && err == nil {
		err = w.queue([]byte("\r\n"))
	}
	if err != nil {
		return 0, err, true
	}
	w.sent += size
	if _, serr := f.Seek(size, io.SeekCurrent); serr != nil {
		return size, serr, true
	}
	return size, nil, true
}
