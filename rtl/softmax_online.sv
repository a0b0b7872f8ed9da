`default_nettype none
// Online softmax normaliser (Milakov & Gimelshein): over a row of fp32 x_j,
// the running max m and the running sum d = sum_j exp(x_j - m), rescaled
// whenever m grows: m' = max(m, x), d' = d * exp(m - m') + exp(x - m').
// One element every 7 cycles: 1 subtract cycle (both exponents' arguments,
// with range reduction) + 6 multiply-accumulates (the Taylor polynomial of
// degree 6 by Horner, as FuseMax's 6-MAC exp); the update of d overlaps the
// next element's subtract cycle.  A row of n elements: 7n + 2 cycles from
// the first element accepted to out_vld (1 last update + 1 output).
//
// exp(z), z <= 0: n = round(z log2 e), r = (z log2 e - n) ln 2 in
// [-ln2/2, ln2/2] (fixed point, 30 fraction bits), exp(z) = 2^n P(r) with
// P(r) = 1 + r + r^2/2 + ... + r^6/720.  d is kept in fixed point (32
// fraction bits, 20 integer bits: rows up to 2^20 elements); out_d is d
// rounded to fp32 (nearest even).  z below -128 counts as exp(z) = 0.
// Inputs must be finite (golden's +inf/NaN rows are not modelled).
module softmax_online (
    input  wire         clk,
    input  wire         rst,
    input  wire  [31:0] x,
    input  wire         x_vld,
    input  wire         x_last,     // x is the row's last element
    output logic        x_rdy,
    output logic [31:0] out_m,      // fp32 running max of the row
    output logic [31:0] out_d,      // fp32 sum of exp(x_j - m)
    output logic        out_vld
);
    localparam logic signed [31:0] LOG2E = 32'sd1549082005; // log2(e) * 2^30
    localparam logic signed [31:0] LN2   = 32'sd744261118;  // ln(2) * 2^30
    localparam logic signed [31:0] TAYLOR [7] = '{
        32'sd1073741824, 32'sd1073741824, 32'sd536870912, 32'sd178956971,
        32'sd44739243, 32'sd8947849, 32'sd1491308};          // 1/k! * 2^30

    logic [31:0] m, m_new, z1, z2;
    logic [2:0]  phase;          // 0: ready for x, 1..6: MAC steps
    logic        row_end, upd_pending, out_pending;
    logic signed [31:0] r1, r2, p1, p2, rr1, rr2;
    logic [7:0]  n1, n2, nn1, nn2; // -n: the power of two is 2^-n
    logic [51:0] d, d_new;
    logic        take, x_gt;

    function automatic logic [31:0] key(input logic [31:0] v);  // order of fp32 values
        key = v[31] ? ~v : (v | 32'h8000_0000);
    endfunction

    assign x_rdy  = (phase == 3'd0) & ~out_pending & ~(upd_pending & row_end);
    assign take   = x_vld & x_rdy;
    assign x_gt   = (key(x) > key(m)) & ~((x[30:0] == 31'd0) & (m[30:0] == 31'd0));
    assign m_new  = x_gt ? x : m;

    fp32_add u_sub1 (.a(m), .b({~m_new[31], m_new[30:0]}), .y(z1));
    fp32_add u_sub2 (.a(x), .b({~m_new[31], m_new[30:0]}), .y(z2));

    // Range reduction of z (fp32, <= 0) to r (Q30) and n.  The sign of z is
    // known (z <= 0) and r keeps the low 32 bits of its 64-bit product.
    /* verilator lint_off UNUSEDSIGNAL */
    function automatic void reduce(input logic [31:0] z, output logic signed [31:0] r, output logic [7:0] nneg);
        logic [47:0] mag;        // |z| in Q24, saturated at 128
        logic signed [48:0] zq;
        logic signed [81:0] t;   // z log2e, Q54
        logic signed [81:0] tn;
        logic signed [63:0] f30, rl;
        logic [8:0] sh;
        if (z[30:23] >= 8'd134)       mag = 48'd128 << 24;   // |z| >= 128
        else if (z[30:23] >= 8'd126) begin
            sh  = 9'(z[30:23]) - 9'd126;                     // 0..7
            mag = {24'd0, |z[30:23], z[22:0]} << sh;
        end else begin
            sh  = 9'd126 - 9'(z[30:23]);
            mag = {24'd0, |z[30:23], z[22:0]} >> sh;
        end
        zq = -$signed({1'b0, mag});
        t  = 82'(zq) * 82'(LOG2E);
        tn = (t + (82'sd1 <<< 53)) >>> 54;                   // n = round(t) (<= 0)
        f30 = 64'((t - (tn <<< 54)) >>> 24);                // t - n, Q30
        rl  = (f30 * 64'(LN2)) >>> 30;
        r    = 32'(rl);
        nneg = 8'(-tn);
    endfunction
    /* verilator lint_on UNUSEDSIGNAL */

    // exp value 2^-n * p as Q32 (p is Q30 in [0.7, 1.42]).
    function automatic logic [51:0] expq(input logic signed [31:0] p, input logic [7:0] nneg);
        logic [51:0] v;
        v = {18'd0, p[31:0], 2'b00};
        expq = (nneg >= 8'd52) ? 52'd0 : (v >> nneg);
    endfunction

    always_comb begin
        logic [103:0] prod;
        reduce(z1, rr1, nn1);
        reduce(z2, rr2, nn2);
        prod  = {52'd0, d} * {52'd0, expq(p1, n1)};
        d_new = 52'(prod >> 32) + expq(p2, n2);
    end

    // fp32 of the Q32 sum d (round to nearest even; d < 2^20); rnd[23] is
    // the hidden bit.
    /* verilator lint_off UNUSEDSIGNAL */
    function automatic logic [31:0] to_f32(input logic [51:0] v);
        logic [5:0] msb;
        logic [75:0] w;
        logic [24:0] rnd;
        logic up;
        msb = 6'd0;
        for (int i = 0; i < 52; i++)
            if (v[i]) msb = 6'(i);
        w   = {v, 24'd0} << (6'd51 - msb);                   // leading one at bit 75
        up  = w[51] & ((|w[50:0]) | w[52]);
        rnd = {1'b0, w[75:52]} + {24'd0, up};
        if (v == 52'd0)   to_f32 = 32'd0;
        else if (rnd[24]) to_f32 = {1'b0, 8'(9'd95 + 9'(msb) + 9'd1), 23'd0};
        else              to_f32 = {1'b0, 8'(9'd95 + 9'(msb)), rnd[22:0]};
    endfunction
    /* verilator lint_on UNUSEDSIGNAL */

    always_ff @(posedge clk) begin
        if (rst) begin
            m <= 32'hFF80_0000; d <= 52'd0; phase <= 3'd0;
            row_end <= 1'b0; upd_pending <= 1'b0; out_pending <= 1'b0; out_vld <= 1'b0;
            r1 <= 32'sd0; r2 <= 32'sd0; p1 <= 32'sd0; p2 <= 32'sd0; n1 <= 8'd0; n2 <= 8'd0;
            out_m <= 32'd0; out_d <= 32'd0;
        end else begin
            out_vld <= 1'b0;
            if (out_pending) begin
                out_vld <= 1'b1;
                out_m <= m;
                out_d <= to_f32(d);
                out_pending <= 1'b0;
                m <= 32'hFF80_0000;
                d <= 52'd0;
            end else if (upd_pending & (take | row_end)) begin
                d <= d_new;      // the previous element's exp terms
                upd_pending <= 1'b0;
                if (row_end) out_pending <= 1'b1;
            end
            if (take) begin
                m <= m_new;
                r1 <= rr1; n1 <= nn1; r2 <= rr2; n2 <= nn2;
                p1 <= TAYLOR[6]; p2 <= TAYLOR[6];
                row_end <= x_last;
                phase <= 3'd1;
            end else if (phase != 3'd0) begin
                p1 <= 32'((64'(p1) * 64'(r1)) >>> 30) + TAYLOR[3'd6 - phase];
                p2 <= 32'((64'(p2) * 64'(r2)) >>> 30) + TAYLOR[3'd6 - phase];
                phase <= (phase == 3'd6) ? 3'd0 : phase + 3'd1;
                if (phase == 3'd6) upd_pending <= 1'b1;
            end
        end
    end
endmodule
`default_nettype wire
