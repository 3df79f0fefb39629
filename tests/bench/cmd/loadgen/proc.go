package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times; it is 100
// on every Linux the benchmark runs on.
const clockTicks = 100

// rssBytes reads VmRSS (resident set size) from /proc/PID/status.
func rssBytes(pid int) (int64, error) { return procBytes(pid, "VmRSS:") }

// procBytes reads a size field (VmRSS:, VmHWM: ...) of /proc/PID/status.
func procBytes(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// cpuSeconds returns the user+system CPU time of a process ("self" for
// this one), from fields 14 and 15 of /proc/PID/stat.
func cpuSeconds(pid string) (float64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; it ends at the last ')'.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("short /proc/%s/stat", pid)
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / clockTicks, nil
}

// cpuMeter measures how busy the server (and this client) were over one
// run, to tell a server-bound figure from a client-bound one.
type cpuMeter struct {
	pid            string
	start          time.Time
	server, client float64
}

func startCPU(pid int) cpuMeter {
	m := cpuMeter{pid: strconv.Itoa(pid), start: time.Now()}
	if pid > 0 {
		m.server, _ = cpuSeconds(m.pid)
	}
	m.client, _ = cpuSeconds("self")
	return m
}

// stop returns the server's and the client's CPU use since start, in
// percent of one core; the server's is -1 when no -pid was given.
func (m cpuMeter) stop() (server, client float64) {
	wall := time.Since(m.start).Seconds()
	server = -1
	if m.pid != "0" {
		if s, err := cpuSeconds(m.pid); err == nil {
			server = 100 * (s - m.server) / wall
		}
	}
	c, _ := cpuSeconds("self")
	return server, 100 * (c - m.client) / wall
}

// report emits the server's CPU use for metric, logs both figures, and
// returns the server's share of a core (0 when unknown).
func (m cpuMeter) report(metric string) float64 {
	server, client := m.stop()
	logf("%s: server CPU %.0f%%, client CPU %.0f%%", metric, server, client)
	if server <= 0 {
		return 0
	}
	emit("cpu:"+metric, server)
	return server / 100
}

// emitRate emits a run's rate and, when the server's CPU share is known,
// the rate per second of server CPU: on a machine where other work takes
// part of the server's core, that is the steadier figure of the server's
// own cost.
func emitRate(metric string, rate, share float64) {
	emit(metric, rate)
	if share > 0 {
		emit("eff:"+metric, rate/share)
	}
}
