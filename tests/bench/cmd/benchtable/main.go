// Command benchtable turns the lines run.sh collected (server, metric,
// value; tab-separated, several runs per metric) into the benchmark's
// markdown tables: each cell is the median of its runs and its ratio to
// the baseline server's median from the same run.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"strconv"
	"strings"
)

// row is one line of the main table.
type row struct {
	metric string // as loadgen emits it
	label  string
	format func(float64) string
	rate   bool // a throughput, which loadgen also gives per server CPU-second
}

var rows = []row{
	{"rps@64", "req/s @64 conns", count, true},
	{"rps@256", "req/s @256 conns", count, true},
	{"pipelined", "pipelined req/s (256 conns, 16/write)", count, true},
	{"p99@64", "p99 latency @64 conns (lower is better)", millis, false},
	{"rss_per_conn", "RSS per idle conn, 10k conns (lower is better)", bytesSize, false},
	{"ws_echo", "WS echo round trips/s (64 conns)", count, true},
	{"bcast", "broadcast messages/s (1,000 conns × 200)", count, true},
	{"handshakes", "new TLS connections/s (16 clients)", count, true},
	{"mbcast", "prepared broadcast messages/s (1,000 conns × 1,000; 64 B, every 5th 16 KiB)", count, true},
	{"mbcast_rss", "peak RSS during it (lower is better)", mebibytes, false},
	{"mbcast_growth", "its growth during it: peak − RSS before (lower is better)", mebibytes, false},
	{"sbcast", "prepared broadcast messages/s, 64 B each (1,000 conns × 1,000)", count, true},
	{"sbcast_rss", "peak RSS during it (lower is better)", mebibytes, false},
	{"sbcast_growth", "its growth during it: peak − RSS before (lower is better)", mebibytes, false},
	{"mbcastz", "the same, compressed (1,000 conns × 200)", count, true},
	{"mbcastz_rss", "peak RSS during it, compressed (lower is better)", mebibytes, false},
	{"mbcastz_growth", "its growth during it, compressed (lower is better)", mebibytes, false},
	{"wsidle_z", "RSS per idle compressed WebSocket, 2k conns (lower is better)", bytesSize, false},
	{"h2rps@1x100", "HTTP/2 req/s, 1 conn × 100 streams (h2load)", count, true},
	{"h2rps@16x100", "HTTP/2 req/s, 16 conns × 100 streams (h2load)", count, true},
	{"h2rss_per_conn", "RSS per idle HTTP/2 conn, 10k conns (lower is better)", bytesSize, false},
}

func main() {
	in := flag.String("in", "results.tsv", "results collected by run.sh")
	servers := flag.String("servers", "nethttp,fasthttp,nbio,phttp", "columns, in order")
	baseline := flag.String("baseline", "nethttp", "server the ratios divide by")
	section := flag.String("section", "table", "what to print: table, eff (rates per server CPU-second), cpu or notes")
	flag.Parse()

	res, notes, err := load(*in)
	if err != nil {
		log.Fatal(err)
	}
	cols := strings.Split(*servers, ",")
	switch *section {
	case "table":
		printTable(res, cols, *baseline, "", false)
	case "eff":
		printTable(res, cols, *baseline, "eff:", true)
	case "cpu":
		printCPU(res, cols)
	case "notes":
		printNotes(notes, cols)
	default:
		log.Fatalf("unknown -section %q", *section)
	}
}

// cell holds the runs of one server's metric.
type cell struct {
	values []float64
	failed int
}

// median returns the median of the runs, and false when any run failed
// (a server that fails one run of three does not get a figure).
func (c *cell) median() (float64, bool) {
	if c == nil || c.failed > 0 || len(c.values) == 0 {
		return 0, false
	}
	v := slices.Clone(c.values)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

type results map[[2]string]*cell // key: server, metric

func load(path string) (results, map[string][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	res := results{}
	notes := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 3)
		if len(parts) != 3 {
			continue
		}
		server, metric, value := parts[0], parts[1], parts[2]
		if metric == "note" {
			if !slices.Contains(notes[server], value) {
				notes[server] = append(notes[server], value)
			}
			continue
		}
		c := res[[2]string{server, metric}]
		if c == nil {
			c = &cell{}
			res[[2]string{server, metric}] = c
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			c.values = append(c.values, v)
		} else {
			c.failed++
		}
	}
	return res, notes, sc.Err()
}

// printTable prints the rows (only the rates when ratesOnly) of the
// metrics named prefix+metric, each cell with its ratio to baseline's.
func printTable(res results, cols []string, baseline, prefix string, ratesOnly bool) {
	head := "metric"
	if prefix != "" {
		head = "per second of server CPU"
	}
	fmt.Printf("| %s | %s |\n", head, strings.Join(cols, " | "))
	fmt.Printf("| --- |%s\n", strings.Repeat(" ---: |", len(cols)))
	for _, r := range rows {
		if ratesOnly && !r.rate {
			continue
		}
		if !measured(res, cols, prefix+r.metric) {
			continue // not in this run (run.sh SETS)
		}
		cells := make([]string, len(cols))
		for i, s := range cols {
			base, baseOK := res[[2]string{peerBaseline(s, cols, baseline), prefix + r.metric}].median()
			v, ok := res[[2]string{s, prefix + r.metric}].median()
			switch {
			case !ok:
				cells[i] = "fail"
			case !baseOK || base == 0:
				cells[i] = r.format(v) + " (n/a)"
			default:
				cells[i] = fmt.Sprintf("%s (%.2f×)", r.format(v), v/base)
			}
		}
		fmt.Printf("| %s | %s |\n", r.label, strings.Join(cells, " | "))
	}
}

// peerBaseline is the column col's ratio divides by: net/http's column
// of the same kind ("nethttp-h2" for "phttp-h2") when the table has one,
// so that one table can hold h2c and TLS pairs; else baseline.
func peerBaseline(col string, cols []string, baseline string) string {
	if _, kind, ok := strings.Cut(col, "-"); ok && slices.Contains(cols, "nethttp-"+kind) {
		return "nethttp-" + kind
	}
	return baseline
}

// printCPU shows how busy each server's one core was during each load:
// well under 100% means the figure is bound by the client, not the server.
func printCPU(res results, cols []string) {
	fmt.Printf("| server CPU %% during | %s |\n", strings.Join(cols, " | "))
	fmt.Printf("| --- |%s\n", strings.Repeat(" ---: |", len(cols)))
	for _, r := range rows {
		if !r.rate || !measured(res, cols, r.metric) {
			continue // no load of its own (a latency from the rps@64 runs, or memory), or not run
		}
		cells := make([]string, len(cols))
		for i, s := range cols {
			if v, ok := res[[2]string{s, "cpu:" + r.metric}].median(); ok {
				cells[i] = fmt.Sprintf("%.0f%%", v)
			} else {
				cells[i] = "–"
			}
		}
		fmt.Printf("| %s | %s |\n", r.label, strings.Join(cells, " | "))
	}
}

// measured reports whether any column has a result (even "fail") for metric.
func measured(res results, cols []string, metric string) bool {
	for _, s := range cols {
		if res[[2]string{s, metric}] != nil {
			return true
		}
	}
	return false
}

func printNotes(notes map[string][]string, cols []string) {
	for _, s := range cols {
		for _, n := range notes[s] {
			fmt.Printf("- %s: %s\n", s, n)
		}
	}
}

// count formats a rate with thousands separators.
func count(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, d := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}

func millis(v float64) string { return fmt.Sprintf("%.2f ms", v) }

func mebibytes(v float64) string { return fmt.Sprintf("%.0f MiB", v/(1<<20)) }

func bytesSize(v float64) string {
	if v >= 10<<10 || v <= -10<<10 {
		return fmt.Sprintf("%.1f KiB", v/1024)
	}
	return fmt.Sprintf("%.0f B", v)
}
