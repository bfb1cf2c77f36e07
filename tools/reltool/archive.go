package main

import (
	"archive/tar"
	"archive/zip"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// entry is one file or directory of an archive, with the only metadata
// that is kept: its path, whether it is a directory and whether it runs.
type entry struct {
	name string // slash-separated, under the prefix
	dir  bool
	exec bool
	src  string
}

// collect walks dir and returns its entries in byte order of their names,
// so that the archive does not depend on the file system's order.
func collect(dir, prefix string) ([]entry, error) {
	out := []entry{{name: prefix + "/", dir: true}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := path.Join(prefix, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			out = append(out, entry{name: name + "/", dir: true})
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			out = append(out, entry{name: name, exec: info.Mode()&0o111 != 0, src: p})
		default:
			return fmt.Errorf("%s: only files and directories go into an archive", p)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, err
}

func (e entry) mode() int64 {
	if e.dir || e.exec {
		return 0o755
	}
	return 0o644
}

// writeArchive writes dir as a .tar.gz or a .zip: entries sorted, owned by
// 0:0 with no names, every time set to mtime, gzip without a name or time.
func writeArchive(out, dir, prefix string, mtime int64) (err error) {
	entries, err := collect(dir, prefix)
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	when := time.Unix(mtime, 0).UTC()
	switch {
	case strings.HasSuffix(out, ".tar.gz"):
		return writeTarGz(f, entries, when)
	case strings.HasSuffix(out, ".zip"):
		return writeZip(f, entries, when)
	}
	return fmt.Errorf("%s: want a .tar.gz or .zip name", out)
}

func writeTarGz(w io.Writer, entries []entry, when time.Time) error {
	gz, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode(), ModTime: when, Format: tar.FormatUSTAR, Typeflag: tar.TypeReg}
		if e.dir {
			h.Typeflag = tar.TypeDir
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			continue
		}
		if err := copyEntry(e, func(size int64) (io.Writer, error) {
			h.Size = size
			return tw, tw.WriteHeader(h)
		}); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, entries []entry, when time.Time) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.DefaultCompression)
	})
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: when}
		mode := fs.FileMode(e.mode())
		if e.dir {
			h.Method = zip.Store
			mode |= fs.ModeDir
		}
		h.SetMode(mode)
		if e.dir {
			if _, err := zw.CreateHeader(h); err != nil {
				return err
			}
			continue
		}
		if err := copyEntry(e, func(int64) (io.Writer, error) { return zw.CreateHeader(h) }); err != nil {
			return err
		}
	}
	return zw.Close()
}

// copyEntry copies the file of e into the writer that start returns once
// told its size.
func copyEntry(e entry, start func(size int64) (io.Writer, error)) error {
	f, err := os.Open(e.src)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	w, err := start(info.Size())
	if err != nil {
		return err
	}
	n, err := io.Copy(w, f)
	if err == nil && n != info.Size() {
		err = fmt.Errorf("%s changed while it was archived", e.src)
	}
	return err
}
