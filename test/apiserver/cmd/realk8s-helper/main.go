// Command realk8s-helper does the few things realk8s.sh cannot do portably
// with a POSIX shell on a machine that has only Go: pick free loopback ports,
// make a service-account key and a token, and probe an HTTP(S) endpoint.
//
//	realk8s-helper ports N              N distinct free TCP ports on 127.0.0.1, one per line
//	realk8s-helper rsa-key FILE         a new 2048-bit RSA key, PEM (PKCS #1), mode 0600
//	realk8s-helper token                32 random hex digits
//	realk8s-helper probe URL [CA TOKEN] exit 0 if GET URL answers 200 within 2s
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "realk8s-helper:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: realk8s-helper ports N | rsa-key FILE | token | probe URL [CA TOKEN]")
	}
	switch cmd, args := args[0], args[1:]; {
	case cmd == "ports" && len(args) == 1:
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 {
			return fmt.Errorf("ports: bad count %q", args[0])
		}
		return ports(n, stdout)
	case cmd == "rsa-key" && len(args) == 1:
		return rsaKey(args[0])
	case cmd == "token" && len(args) == 0:
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		_, err := fmt.Fprintln(stdout, hex.EncodeToString(b))
		return err
	case cmd == "probe" && (len(args) == 1 || len(args) == 3):
		return probe(args)
	}
	return fmt.Errorf("bad arguments: %q", args)
}

// ports holds n listeners open at once, so the ports are distinct, and
// closes them before printing. Another process may take one in between; the
// script notices when a server fails to bind and retries.
func ports(n int, stdout io.Writer) error {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		ls = append(ls, l)
	}
	for _, l := range ls {
		if _, err := fmt.Fprintln(stdout, l.Addr().(*net.TCPAddr).Port); err != nil {
			return err
		}
	}
	return nil
}

func rsaKey(file string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	block := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
	return os.WriteFile(file, pem.EncodeToMemory(block), 0o600)
}

func probe(args []string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	req, err := http.NewRequest(http.MethodGet, args[0], nil)
	if err != nil {
		return err
	}
	if len(args) == 3 {
		ca, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return fmt.Errorf("%s: no PEM certificate", args[1])
		}
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		req.Header.Set("Authorization", "Bearer "+args[2])
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", args[0], resp.Status, body)
	}
	return nil
}
