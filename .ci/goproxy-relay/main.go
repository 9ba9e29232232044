// Command goproxy-relay lets `docker build` reach the Go module proxy on a machine where
// only the host can: it listens on plain HTTP (on the Docker bridge, for build containers)
// and forwards GET and HEAD requests to an upstream proxy over HTTPS, with the host's TLS
// settings. Integrity does not depend on the relay: the go command checks every module
// against go.sum and the signed checksum database (also relayed, under /sumdb/), and
// docker/fetch-go.sh checks the Go toolchain zip against its pinned h1: hash.
//
// Usage (from the repository root; .ci/docker.sh runs it):
//
//	go run .ci/goproxy-relay/main.go -listen 172.17.0.1:0 -addr-file FILE [-upstream https://proxy.golang.org]
//
// It writes the address it listens on to -addr-file and serves until killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (host:port; port 0 picks a free one)")
	upstream := flag.String("upstream", "https://proxy.golang.org", "the Go module proxy to forward to")
	addrFile := flag.String("addr-file", "", "write the address listened on to this file")
	flag.Parse()
	up, err := url.Parse(*upstream)
	if err != nil || (up.Scheme != "https" && up.Scheme != "http") || up.Host == "" {
		log.Fatalf("goproxy-relay: -upstream %q: want an http(s) URL such as https://proxy.golang.org", *upstream)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("goproxy-relay: -listen %s: %v", *listen, err)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			log.Fatalf("goproxy-relay: -addr-file: %v", err)
		}
	}
	rp := httputil.NewSingleHostReverseProxy(up)
	director := rp.Director
	rp.Director = func(r *http.Request) {
		director(r)
		r.Host = up.Host
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "goproxy-relay: only GET and HEAD", http.StatusMethodNotAllowed)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		rp.ServeHTTP(sw, r)
		log.Printf("%s %s -> %d (%v)", r.Method, r.URL.Path, sw.status, time.Since(start).Round(time.Millisecond))
	})
	fmt.Fprintf(os.Stderr, "goproxy-relay: http://%s -> %s\n", ln.Addr(), up)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	log.Fatal(srv.Serve(ln))
}

// statusWriter remembers the status code for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
