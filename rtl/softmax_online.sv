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
    logic [31:0] m, m_new, z1, z2;
    logic [2:0]  phase;          // 0: ready for x, 1..6: MAC steps
    logic        row_end, upd_pending, out_pending;
    logic signed [31:0] r1, r2, p1, p2, rr1, rr2;
    logic [7:0]  n1, n2, nn1, nn2; // -n: the power of two is 2^-n
    logic [51:0] d, d_new;
    logic        take, x_gt;

    // 1/k! in Q30, the coefficient Horner step `phase` adds (k = 6 - phase).
    logic signed [31:0] coef;
    always_comb begin
        case (phase)
            3'd1:    coef = 32'sd8947849;       // 1/5!
            3'd2:    coef = 32'sd44739243;      // 1/4!
            3'd3:    coef = 32'sd178956971;     // 1/3!
            3'd4:    coef = 32'sd536870912;     // 1/2!
            default: coef = 32'sd1073741824;    // 1/1!, 1/0!
        endcase
    end
    localparam logic signed [31:0] C6 = 32'sd1491308;  // 1/6! in Q30

    // p * r >> 30 for Q30 operands (32 x 32 bits)
    /* verilator lint_off UNUSEDSIGNAL */
    function automatic logic signed [63:0] mul_q30(input logic signed [31:0] p, input logic signed [31:0] r);
        logic signed [63:0] pr;
        pr = p * r;
        mul_q30 = pr >>> 30;
    endfunction
    /* verilator lint_on UNUSEDSIGNAL */

    function automatic logic [31:0] key(input logic [31:0] v);  // order of fp32 values
        key = v[31] ? ~v : (v | 32'h8000_0000);
    endfunction

    assign x_rdy  = (phase == 3'd0) & ~out_pending & ~(upd_pending & row_end);
    assign take   = x_vld & x_rdy;
    assign x_gt   = (key(x) > key(m)) & ~((x[30:0] == 31'd0) & (m[30:0] == 31'd0));
    assign m_new  = x_gt ? x : m;

    fp32_add u_sub1 (.a(m), .b({~m_new[31], m_new[30:0]}), .y(z1));
    fp32_add u_sub2 (.a(x), .b({~m_new[31], m_new[30:0]}), .y(z2));

    // Range reduction of z1, z2 (fp32, <= 0) to r (Q30) and n.  The sign of
    // z is known (z <= 0) and r keeps the low 32 bits of its product.
    logic [31:0] zz [2];
    logic signed [31:0] rrr [2];
    logic [7:0]  nnn [2];
    assign zz[0] = z1;
    assign zz[1] = z2;
    genvar g;
    generate
        for (g = 0; g < 2; g++) begin : g_reduce
            logic [31:0] mag;         // |z| in Q24, saturated at 128
            logic signed [32:0] zq;
            logic signed [64:0] t;    // z log2e, Q54
            logic signed [10:0] tn;   // n = round(t), -185..0
            logic signed [64:0] frac;
            logic signed [31:0] f30;  // t - n in Q30, [-0.5, 0.5]
            /* verilator lint_off UNUSEDSIGNAL */
            logic signed [63:0] rl;
            /* verilator lint_on UNUSEDSIGNAL */
            logic [8:0] sh;
            always_comb begin
                sh = 9'd0;
                if (zz[g][30:23] >= 8'd134)      mag = 32'd128 << 24;   // |z| >= 128
                else if (zz[g][30:23] >= 8'd126) begin
                    sh  = 9'(zz[g][30:23]) - 9'd126;                  // 0..7
                    mag = {8'd0, |zz[g][30:23], zz[g][22:0]} << sh;
                end else begin
                    sh  = 9'd126 - 9'(zz[g][30:23]);
                    mag = {8'd0, |zz[g][30:23], zz[g][22:0]} >> sh;
                end
                zq   = -$signed({1'b0, mag});
                t    = zq * LOG2E;                                    // 33 x 32 bits
                tn   = 11'((t + (65'sd1 <<< 53)) >>> 54);            // n = round(t) (<= 0)
                frac = t - ($signed({{54{tn[10]}}, tn}) <<< 54);
                f30  = 32'(frac >>> 24);                              // t - n, Q30
                rl   = f30 * LN2;                                     // 32 x 32 bits
            end
            assign rrr[g] = 32'(rl >>> 30);
            assign nnn[g] = 8'(-tn);
        end
    endgenerate
    assign rr1 = rrr[0];
    assign nn1 = nnn[0];
    assign rr2 = rrr[1];
    assign nn2 = nnn[1];

    // exp value 2^-n * p as Q32 (p is Q30 in [0.7, 1.42], so < 2^33;
    // its sign bit is 0).
    /* verilator lint_off UNUSEDSIGNAL */
    function automatic logic [32:0] expq(input logic signed [31:0] p, input logic [7:0] nneg);
        logic [32:0] v;
        v = {p[30:0], 2'b00};
        expq = (nneg >= 8'd33) ? 33'd0 : (v >> nneg);
    endfunction
    /* verilator lint_on UNUSEDSIGNAL */

    /* verilator lint_off UNUSEDSIGNAL */
    logic [84:0] prod;        // d * e1, Q64; d < 2^20 so the top bits are 0
    /* verilator lint_on UNUSEDSIGNAL */
    assign prod  = d * expq(p1, n1);                             // 52 x 33 bits
    assign d_new = 52'(prod >> 32) + 52'(expq(p2, n2));

    // fp32 of the Q32 sum d (round to nearest even; d < 2^20).  A carry out
    // of the mantissa increments the exponent field, as it should.
    logic [5:0]  d_msb;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [75:0] d_w;         // bit 75 is the hidden bit
    /* verilator lint_on UNUSEDSIGNAL */
    logic        d_up;
    logic [31:0] d_f32;
    always_comb begin
        d_msb = 6'd0;
        for (int i = 0; i < 52; i++)
            if (d[i]) d_msb = 6'(i);
        d_w   = {d, 24'd0} << (6'd51 - d_msb);                  // leading one at bit 75
        d_up  = d_w[51] & ((|d_w[50:0]) | d_w[52]);
        d_f32 = (d == 52'd0) ? 32'd0 : {1'b0, 8'(9'd95 + 9'(d_msb)), d_w[74:52]} + {31'd0, d_up};
    end

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
                out_d <= d_f32;
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
                p1 <= C6; p2 <= C6;
                row_end <= x_last;
                phase <= 3'd1;
            end else if (phase != 3'd0) begin
                p1 <= 32'(mul_q30(p1, r1)) + coef;
                p2 <= 32'(mul_q30(p2, r2)) + coef;
                phase <= (phase == 3'd6) ? 3'd0 : phase + 3'd1;
                if (phase == 3'd6) upd_pending <= 1'b1;
            end
        end
    end
endmodule
`default_nettype wire
