package main

import "log"
import "net/http"
import "github.com/gorate/ratelimit"
import "github.com/gorate/ratelimit/adapters/nethttp"

func main() {
	log.Fatal(http.ListenAndServe(":8080", httplimit.LimitByIP(ratelimit.PerSecond(10))(http.DefaultServeMux)))
}
