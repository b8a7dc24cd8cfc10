package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuTimes is CPU time used so far by one process (the gateway) and by the whole machine.
type cpuTimes struct {
	gateway, machine time.Duration
	ok               bool // false where /proc cannot be read (not Linux)
}

// clockTick is the unit of /proc's CPU times (USER_HZ: 100 on Linux everywhere it runs).
const clockTick = 10 * time.Millisecond

// readCPU reads the CPU time of process pid (user + system; none when pid is 0) and of the
// machine (every CPU's time not idle or waiting for I/O) from /proc.
func readCPU(pid int) cpuTimes {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	machine, ok := machineBusy(stat)
	if !ok {
		return cpuTimes{}
	}
	t := cpuTimes{machine: machine, ok: true}
	if pid == 0 {
		return t
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return cpuTimes{}
	}
	if t.gateway, ok = processCPU(b); !ok {
		return cpuTimes{}
	}
	return t
}

// machineBusy is the busy time of every CPU together in /proc/stat's first line (user, nice,
// system, irq, softirq, steal; not idle or iowait).
func machineBusy(stat []byte) (time.Duration, bool) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0, false
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system (idle iowait) irq softirq steal
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, false
		}
		busy += v
	}
	return time.Duration(busy) * clockTick, true
}

// processCPU is the user and system time in a /proc/PID/stat line.
func processCPU(b []byte) (time.Duration, bool) {
	// The command name (field 2) is in parentheses and may hold spaces: count from after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	pf := strings.Fields(string(b[i+1:]))
	if len(pf) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(pf[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(pf[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * clockTick, true
}
