// The board emulator's Verilator harness: runs the generated Verilog of
// `MinerBoard` (module `miner_board`) and exchanges bytes over pipes.
//
//   stdin  = bytes to the board: one is put on rx_data/rx_valid every
//            GAP + 1 cycles, as the UART receiver would deliver them;
//   stdout = bytes from the board: tx_ready is always 1, and every cycle
//            with tx_valid high sends tx_data.
//
// Usage: Vemulator GAP LINGER IDLE_CYCLES
//   GAP          idle cycles between two injected bytes;
//   LINGER       cycles to keep running at full speed after the last
//                activity (a byte in or out, or `busy`), so the gateware's
//                frame timeout and result resend fire in wall-clock time;
//   IDLE_CYCLES  cycles to run per 1 ms wait once idle (the clock keeps
//                creeping forward, but an idle board costs almost no CPU).
//
// Syscalls are kept off the per-cycle path: stdin is read only every
// IO_INTERVAL cycles (and while idle, in a poll() that waits up to 1 ms),
// and output is written when the board has stopped sending for a few
// cycles. Ends (exit status 0) when stdin reaches end of file.

#include "Vminer_board.h"
#include "verilated.h"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

static const uint64_t IO_INTERVAL = 256;
static const size_t RX_CAP = 1 << 16;
static const size_t TX_CAP = 1 << 12;
// Flush the output once the board has sent nothing for this many cycles.
static const uint64_t TX_QUIET = 4;

static uint8_t rx_buf[RX_CAP];
static size_t rx_head = 0, rx_len = 0;
static uint8_t tx_buf[TX_CAP];
static size_t tx_len = 0;
static bool eof = false;

static void die(const char* what) {
    fprintf(stderr, "ferrominer emulator harness: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void flush_out() {
    size_t done = 0;
    while (done < tx_len) {
        ssize_t n = write(1, tx_buf + done, tx_len - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EPIPE) exit(0);  // the emulator is gone
            die("write");
        }
        done += (size_t)n;
    }
    tx_len = 0;
}

// Read what stdin has (non-blocking) into the free part of the queue.
static void read_in() {
    if (eof) return;
    if (rx_len == 0) rx_head = 0;
    if (rx_head > 0 && rx_head + rx_len > RX_CAP / 2) {
        memmove(rx_buf, rx_buf + rx_head, rx_len);
        rx_head = 0;
    }
    size_t room = RX_CAP - rx_head - rx_len;
    if (room == 0) return;
    ssize_t n = read(0, rx_buf + rx_head + rx_len, room);
    if (n > 0) {
        rx_len += (size_t)n;
    } else if (n == 0) {
        eof = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        die("read");
    }
}

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s GAP LINGER IDLE_CYCLES\n", argv[0]);
        return 64;
    }
    const uint64_t gap = strtoull(argv[1], nullptr, 10);
    const uint64_t linger = strtoull(argv[2], nullptr, 10);
    const uint64_t idle_cycles = strtoull(argv[3], nullptr, 10) + 1;
    signal(SIGPIPE, SIG_IGN);
    if (fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) < 0) die("fcntl(stdin)");

    VerilatedContext* ctx = new VerilatedContext;
    Vminer_board* top = new Vminer_board{ctx};
    top->clock = 0;
    top->rx_data = 0;
    top->rx_valid = 0;
    top->tx_ready = 1;
    top->eval();

    uint64_t cycle = 0;
    uint64_t next_io = 0;
    uint64_t wait = 0;
    uint64_t last_activity = 0;
    uint64_t last_tx = 0;
    for (;;) {
        if (cycle >= next_io) {
            next_io = cycle + IO_INTERVAL;
            read_in();
            if (tx_len > 0) flush_out();
            if (eof && rx_len == 0) break;
            const bool idle = rx_len == 0 && !top->busy && !top->tx_valid &&
                              cycle - last_activity > linger;
            if (idle) {
                struct pollfd p = {0, POLLIN, 0};
                int r = poll(&p, 1, 1);
                if (r < 0 && errno != EINTR) die("poll");
                if (r > 0) {
                    read_in();
                    if (rx_len > 0) last_activity = cycle;
                }
                if (eof && rx_len == 0) break;
                next_io = cycle + idle_cycles;
            } else if (rx_len > 0) {
                last_activity = cycle;
            }
        }
        // Inputs for this cycle, settled with the clock low.
        top->rx_valid = 0;
        if (wait > 0) {
            wait--;
        } else if (rx_len > 0) {
            top->rx_data = rx_buf[rx_head];
            top->rx_valid = 1;
            rx_head++;
            rx_len--;
            wait = gap;
        }
        top->clock = 0;
        top->eval();
        // The transmitter takes the offered byte at this edge.
        if (top->tx_valid) {
            tx_buf[tx_len++] = top->tx_data;
            last_tx = cycle;
            last_activity = cycle;
            if (tx_len == TX_CAP) flush_out();
        } else if (tx_len > 0 && cycle - last_tx >= TX_QUIET) {
            flush_out();
        }
        if (top->busy) last_activity = cycle;
        top->clock = 1;
        top->eval();
        cycle++;
    }
    flush_out();
    top->final();
    delete top;
    delete ctx;
    return 0;
}
