// Testbench for the generated mining core (module `miner_core`).
//
// Reads jobs from the file named by +jobs=FILE, one per line, in hex except
// the last field:
//   MIDSTATE(64 hex) TAIL(24 hex) START END THRESHOLD TAG RUN_CYCLES
// MIDSTATE is H7..H0 (H0 in the low bits) and TAIL is W2..W0, matching the
// packed LogicStruct layout. RUN_CYCLES = 0 runs the job until `done`;
// otherwise the next job is started after that many cycles (a job switch).
// Prints "FOUND <nonce> <tag>" for every result popped from the FIFO and
// "END <cycles>" after each job.
`timescale 1ns/1ps
module tb;
    reg clock = 0;
    reg [255:0] midstate = 0;
    reg [95:0] tail = 0;
    reg [31:0] nonce_start = 0, nonce_end = 0, threshold = 0;
    reg [7:0] tag = 0;
    reg start = 0;
    reg found_ack = 0;
    wire [39:0] found;
    wire found_valid;
    wire [31:0] nonce;
    wire [7:0] job_tag;
    wire done;
    wire running;

    miner_core dut(
        .clock(clock), .midstate(midstate), .tail(tail),
        .nonce_start(nonce_start), .nonce_end(nonce_end),
        .threshold(threshold), .tag(tag), .start(start), .run(1'b1),
        .found(found), .found_valid(found_valid), .found_ack(found_ack),
        .nonce(nonce), .job_tag(job_tag), .done(done), .running(running));

    always #5 clock = ~clock;

    reg [63:0] cycles = 0;
    always @(posedge clock) cycles <= cycles + 1;

    // Pop every result as soon as it shows at the FIFO head.
    always @(negedge clock) begin
        if (found_valid === 1'b1) begin
            $display("FOUND %08x %02x", found[31:0], found[39:32]);
            found_ack <= 1'b1;
        end else begin
            found_ack <= 1'b0;
        end
    end

    reg [8*512-1:0] path;
    integer fd, n, run_cycles, limit;
    initial begin
        if (!$value$plusargs("jobs=%s", path)) begin
            $display("ERROR no +jobs=FILE");
            $finish;
        end
        fd = $fopen(path, "r");
        if (fd == 0) begin
            $display("ERROR cannot open jobs file");
            $finish;
        end
        n = $fscanf(fd, "%h %h %h %h %h %h %d\n", midstate, tail, nonce_start,
                    nonce_end, threshold, tag, run_cycles);
        while (n == 7) begin
            @(negedge clock);
            start = 1;
            @(negedge clock);
            start = 0;
            if (run_cycles == 0) begin
                limit = 0;
                while (!(done === 1'b1 && found_valid === 1'b0)) begin
                    @(negedge clock);
                    limit = limit + 1;
                    if (limit > 50000000) begin
                        $display("ERROR timeout");
                        $finish;
                    end
                end
            end else begin
                repeat (run_cycles) @(negedge clock);
            end
            $display("END %0d", cycles);
            n = $fscanf(fd, "%h %h %h %h %h %h %d\n", midstate, tail, nonce_start,
                        nonce_end, threshold, tag, run_cycles);
        end
        $fclose(fd);
        $finish;
    end
endmodule
