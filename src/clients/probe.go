// pki-lab's Go client (src/clients/probe.go): one HTTPS GET with net/http and crypto/tls.
// usage: probe URL HOST PORT CA CERT|- KEY|- [CRL...]   (Go takes no CRL: they are ignored)
// prints "accepted" or "refused", then the error's type, then its message.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

var reasons = map[x509.InvalidReason]string{
	x509.NotAuthorizedToSign:           "NotAuthorizedToSign",
	x509.Expired:                       "Expired",
	x509.CANotAuthorizedForThisName:    "CANotAuthorizedForThisName",
	x509.TooManyIntermediates:          "TooManyIntermediates",
	x509.IncompatibleUsage:             "IncompatibleUsage",
	x509.NameMismatch:                  "NameMismatch",
	x509.UnconstrainedName:             "UnconstrainedName",
	x509.TooManyConstraints:            "TooManyConstraints",
	x509.CANotAuthorizedForExtKeyUsage: "CANotAuthorizedForExtKeyUsage",
}

// code names the error by its type, as a Go test would match it with errors.As.
func code(err error) string {
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var unknown x509.UnknownAuthorityError
	var critical x509.UnhandledCriticalExtension
	var insecure x509.InsecureAlgorithmError
	var constraint x509.ConstraintViolationError
	var record tls.RecordHeaderError
	switch {
	case errors.As(err, &invalid):
		return "x509.CertificateInvalidError(" + reasons[invalid.Reason] + ")"
	case errors.As(err, &host):
		return "x509.HostnameError"
	case errors.As(err, &unknown):
		return "x509.UnknownAuthorityError"
	case errors.As(err, &critical):
		return "x509.UnhandledCriticalExtension"
	case errors.As(err, &insecure):
		return "x509.InsecureAlgorithmError"
	case errors.As(err, &constraint):
		return "x509.ConstraintViolationError"
	case errors.As(err, &record):
		return "tls.RecordHeaderError"
	}
	msg := err.Error()
	if i := strings.Index(msg, "remote error: tls: "); i >= 0 {
		return "alert(" + msg[i+len("remote error: tls: "):] + ")"
	}
	if i := strings.Index(msg, "tls: "); i >= 0 {
		return "tls(" + msg[i+len("tls: "):] + ")"
	}
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
		err = u
	}
	return fmt.Sprintf("%T", err)
}

func main() {
	url, ca, cert, key := os.Args[1], os.Args[4], os.Args[5], os.Args[6]
	pem, err := os.ReadFile(ca)
	if err != nil {
		fmt.Printf("refused\nno-ca\n%v\n", err)
		return
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	config := &tls.Config{RootCAs: pool}
	if cert != "-" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			fmt.Printf("refused\nbad-client-cert\n%v\n", err)
			return
		}
		config.Certificates = []tls.Certificate{pair}
	}
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: config, Proxy: nil}}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Printf("refused\n%s\n%v\n", code(err), err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode == 200 {
		fmt.Printf("accepted\nok\nHTTP %d\n", resp.StatusCode)
	} else {
		fmt.Printf("refused\nHTTP %d\nHTTP %d\n", resp.StatusCode, resp.StatusCode)
	}
}
