// Command reltool makes the parts of a release that must be byte-for-byte
// reproducible and that no standard tool makes the same way on every
// system (GNU and BSD tar differ): the archives, and the Homebrew formula
// and Scoop manifest written from their checksums. scripts/release runs it.
//
//	reltool archive -mtime EPOCH -prefix NAME OUT.tar.gz|OUT.zip DIR
//	reltool homebrew -version V -sums SHA256SUMS -url BASE [-license SPDX]
//	reltool scoop -version V -sums SHA256SUMS -url BASE [-license SPDX]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "reltool:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage: reltool archive|homebrew|scoop [flags] ...")

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	switch args[0] {
	case "archive":
		mtime := fs.Int64("mtime", 0, "modification time of every entry (SOURCE_DATE_EPOCH)")
		prefix := fs.String("prefix", "", "top directory inside the archive")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 2 || *prefix == "" {
			return errors.New("usage: reltool archive -mtime EPOCH -prefix NAME OUT.tar.gz|OUT.zip DIR")
		}
		return writeArchive(fs.Arg(0), fs.Arg(1), *prefix, *mtime)
	case "homebrew", "scoop":
		version := fs.String("version", "", "the release version, without a leading v")
		sums := fs.String("sums", "", "the SHA256SUMS file")
		url := fs.String("url", "", "where the archives are downloaded from (the release page)")
		license := fs.String("license", "NOASSERTION", "SPDX identifier of the licence")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *version == "" || *sums == "" || *url == "" || fs.NArg() != 0 {
			return fmt.Errorf("usage: reltool %s -version V -sums SHA256SUMS -url BASE", args[0])
		}
		data, err := os.ReadFile(*sums)
		if err != nil {
			return err
		}
		r := release{Version: *version, URL: strings.TrimSuffix(*url, "/"), License: *license, Sums: parseSums(string(data))}
		if args[0] == "homebrew" {
			return r.homebrew(out)
		}
		return r.scoop(out)
	}
	return errUsage
}
