// Command vcsim starts govmomi's vCenter simulator for planner's tests and benchmarks.
//
// It adds two behaviours a real vCenter has and the 0.24 simulator lacks:
//   - RetrievePropertiesEx honours RetrieveOptions.maxObjects and pages the rest
//     through ContinueRetrievePropertiesEx tokens;
//   - objects named in -deny are reported in missingSet with NoPermission faults,
//     as vCenter does for objects the user may not read.
//
// On start it prints one JSON line {"url": ..., "cert": ...} to stdout and serves
// until stdin closes or it receives SIGTERM/SIGINT.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	_ "github.com/vmware/govmomi/vapi/simulator"
)

var (
	deniedNames = map[string]bool{}
	pagesMu     sync.Mutex
	pages       = map[string][]types.ObjectContent{}
	pageSize    = map[string]int32{}
	nextToken   = 0
)

// PagingCollector wraps the simulator's PropertyCollector with paging and denial.
type PagingCollector struct {
	simulator.PropertyCollector
}

func deny(ctx *simulator.Context, objects []types.ObjectContent) {
	if len(deniedNames) == 0 {
		return
	}
	for i := range objects {
		o := &objects[i]
		ref := ctx.Map.Get(o.Obj)
		entity, ok := ref.(mo.Entity)
		if !ok || !deniedNames[entity.Entity().Name] {
			continue
		}
		for _, p := range o.PropSet {
			o.MissingSet = append(o.MissingSet, types.MissingProperty{
				Path: p.Name,
				Fault: types.LocalizedMethodFault{
					Fault:            &types.NoPermission{Object: o.Obj, PrivilegeId: "System.Read"},
					LocalizedMessage: "Permission to perform this operation was denied.",
				},
			})
		}
		o.PropSet = nil
	}
}

func page(objects []types.ObjectContent, max int32) (types.RetrieveResult, bool) {
	if max <= 0 || int32(len(objects)) <= max {
		return types.RetrieveResult{Objects: objects}, false
	}
	pagesMu.Lock()
	defer pagesMu.Unlock()
	nextToken++
	token := strconv.Itoa(nextToken)
	pages[token] = objects[max:]
	pageSize[token] = max
	return types.RetrieveResult{Objects: objects[:max], Token: token}, true
}

// RetrievePropertiesEx collects, applies denials and returns the first page.
func (pc *PagingCollector) RetrievePropertiesEx(ctx *simulator.Context, r *types.RetrievePropertiesEx) soap.HasFault {
	body := pc.PropertyCollector.RetrievePropertiesEx(ctx, r).(*methods.RetrievePropertiesExBody)
	if body.Res == nil {
		return body
	}
	deny(ctx, body.Res.Returnval.Objects)
	res, _ := page(body.Res.Returnval.Objects, r.Options.MaxObjects)
	body.Res.Returnval = &res
	return body
}

// ContinueRetrievePropertiesEx returns the next page for a token.
func (pc *PagingCollector) ContinueRetrievePropertiesEx(ctx *simulator.Context, r *types.ContinueRetrievePropertiesEx) soap.HasFault {
	body := &methods.ContinueRetrievePropertiesExBody{}
	pagesMu.Lock()
	rest, ok := pages[r.Token]
	max := pageSize[r.Token]
	delete(pages, r.Token)
	delete(pageSize, r.Token)
	pagesMu.Unlock()
	if !ok {
		body.Fault_ = simulator.Fault("unknown token", &types.InvalidArgument{InvalidProperty: "token"})
		return body
	}
	res, _ := page(rest, max)
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: res}
	return body
}

// CancelRetrievePropertiesEx drops a pending token.
func (pc *PagingCollector) CancelRetrievePropertiesEx(ctx *simulator.Context, r *types.CancelRetrievePropertiesEx) soap.HasFault {
	pagesMu.Lock()
	delete(pages, r.Token)
	delete(pageSize, r.Token)
	pagesMu.Unlock()
	return &methods.CancelRetrievePropertiesExBody{Res: &types.CancelRetrievePropertiesExResponse{}}
}

// selfSigned makes a P-256 certificate for the loopback names, valid for a day.
func selfSigned() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	serial := big.NewInt(time.Now().UnixNano())
	tmpl := x509.Certificate{
		SerialNumber: serial,
		// a subject of its own, so several simulators' certificates can share one CA bundle
		Subject:               pkix.Name{CommonName: "vcsim-" + serial.String() + ".planner.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost", "vcsim.planner.test"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (loopback only)")
	dcs := flag.Int("dc", 1, "datacenters")
	clusters := flag.Int("cluster", 1, "clusters per datacenter")
	hosts := flag.Int("host", 2, "hosts per cluster")
	standalone := flag.Int("standalone-host", 0, "standalone hosts per datacenter")
	machines := flag.Int("vm", 2, "VMs per cluster (and per standalone host)")
	datastores := flag.Int("ds", 1, "datastores")
	delay := flag.Int("delay", 0, "milliseconds of delay per SOAP call")
	plain := flag.Bool("no-tls", false, "serve plain http instead of https")
	certOut := flag.String("cert-out", "", "write the server certificate (PEM) here")
	denyList := flag.String("deny", "", "comma-separated entity names reported as NoPermission")
	username := flag.String("username", "", "accept only this user (default: any non-empty user/password)")
	password := flag.String("password", "", "password for -username")
	flag.Parse()

	if !strings.HasPrefix(*listen, "127.") {
		log.Fatalf("refusing to listen on %s: loopback addresses only", *listen)
	}
	for _, n := range strings.Split(*denyList, ",") {
		if n != "" {
			deniedNames[n] = true
		}
	}

	m := simulator.VPX()
	m.Datacenter = *dcs
	m.Cluster = *clusters
	m.ClusterHost = *hosts
	m.Host = *standalone
	m.Machine = *machines
	m.Datastore = *datastores
	if err := m.Create(); err != nil {
		log.Fatal(err)
	}
	m.Service.RegisterEndpoints = true
	if !*plain {
		m.Service.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned()}}
	}
	m.Service.Listen = &url.URL{Host: *listen}
	if *username != "" {
		m.Service.Listen.User = url.UserPassword(*username, *password)
	}
	m.DelayConfig.Delay = *delay

	wrapped := &PagingCollector{}
	wrapped.Self = types.ManagedObjectReference{Type: "PropertyCollector", Value: "propertyCollector"}
	simulator.Map.Put(wrapped)

	s := m.Service.NewServer()
	certPath := ""
	if !*plain && *certOut != "" {
		block := &pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}
		if err := ioutil.WriteFile(*certOut, pem.EncodeToMemory(block), 0o644); err != nil {
			log.Fatal(err)
		}
		certPath = *certOut
	}
	out, _ := json.Marshal(map[string]string{"url": s.URL.String(), "cert": certPath})
	fmt.Println(string(out))

	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(ioutil.Discard, os.Stdin)
		close(done)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-done:
	case <-sig:
	}
	s.Close()
	m.Remove()
}
