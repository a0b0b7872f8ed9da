`default_nettype none
// bf16 x bf16 -> fp32, combinational: the product of the two values rounded
// once to fp32 (golden/numfmt.h: nearest-even, subnormals kept, overflow to
// +-inf), as C's float multiplication of two bf16-valued floats.  The 8x8-bit
// significand product is exact in fp32's 24 bits, so rounding only happens
// when the product falls into fp32's subnormal range.  0 x inf gives the x86
// default NaN 0xFFC00000; a NaN input comes out quieted.
module bf16_mul (
    input  wire  [15:0] a,
    input  wire  [15:0] b,
    output logic [31:0] y
);
    logic        s, a_nan, b_nan, a_inf, b_inf, a_zero, b_zero;
    logic [7:0]  sa, sb;         // significands, hidden bit explicit
    logic [7:0]  ea, eb;         // exponent fields, subnormal read as 1
    logic [15:0] p;
    logic [3:0]  msb;
    logic signed [10:0] e;       // biased fp32 exponent of the normalized product
    logic [23:0] sig;
    logic [10:0] shift;
    logic [49:0] wide;
    logic [23:0] sub_m;
    logic        rnd_up;
    logic [23:0] rnd;

    always_comb begin
        s = a[15] ^ b[15];
        a_nan = (&a[14:7]) & (|a[6:0]);
        b_nan = (&b[14:7]) & (|b[6:0]);
        a_inf = (&a[14:7]) & ~(|a[6:0]);
        b_inf = (&b[14:7]) & ~(|b[6:0]);
        a_zero = a[14:0] == 15'd0;
        b_zero = b[14:0] == 15'd0;
        sa = {|a[14:7], a[6:0]};
        sb = {|b[14:7], b[6:0]};
        p  = sa * sb;
        msb = 4'd0;
        for (int i = 0; i < 16; i++)
            if (p[i]) msb = 4'(i);
        // value = p * 2^(ea + eb - 268)
        ea = (a[14:7] == 8'd0) ? 8'd1 : a[14:7];
        eb = (b[14:7] == 8'd0) ? 8'd1 : b[14:7];
        e = 11'(ea) + 11'(eb) - 11'sd141 + 11'(msb);
        sig = {8'd0, p} << (5'd23 - {1'b0, msb});
        shift = 11'sd1 - e;
        wide = {sig, 26'd0} >> ((e < 11'sd1) ? ((shift > 11'd50) ? 11'd50 : shift) : 11'd0);
        sub_m  = wide[49:26];
        rnd_up = wide[25] & ((|wide[24:0]) | sub_m[0]);
        rnd    = sub_m + {23'd0, rnd_up};
        if (a_nan)                                       y = {a, 16'd0} | 32'h0040_0000;
        else if (b_nan)                                  y = {b, 16'd0} | 32'h0040_0000;
        else if ((a_inf & b_zero) | (b_inf & a_zero))    y = 32'hFFC0_0000;
        else if (a_inf | b_inf)                          y = {s, 8'hFF, 23'd0};
        else if (a_zero | b_zero)                        y = {s, 31'd0};
        else if (e >= 11'sd255)                          y = {s, 8'hFF, 23'd0};
        else if (e >= 11'sd1)                            y = {s, e[7:0], sig[22:0]};
        else                                             y = {s, 7'd0, rnd[23], rnd[22:0]};
    end
endmodule
`default_nettype wire
