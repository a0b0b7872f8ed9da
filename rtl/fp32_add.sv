`default_nettype none
// fp32 + fp32 -> fp32, combinational.  Rounding as golden/numfmt.h defines
// it for fp32 (C float addition): round to nearest, ties to even;
// subnormal inputs and results kept (no DAZ/FTZ); overflow gives +-inf; an
// exact zero sum is +0 unless both operands are -0.  NaN: a NaN input comes
// out quieted (payload of the first NaN operand), inf + -inf gives the x86
// default NaN 0xFFC00000.
module fp32_add (
    input  wire  [31:0] a,
    input  wire  [31:0] b,
    output logic [31:0] y
);
    logic        swap, sub, a_nan, b_nan, a_inf, b_inf;
    logic [31:0] big, little;   // operands ordered by magnitude
    logic [7:0]  eb, es, d;
    logic [23:0] mb, ms;
    logic [53:0] wide;
    logic [26:0] xs, nrm;        // significand . guard round sticky
    logic [27:0] sum;
    logic [4:0]  lz, shamt;
    logic [8:0]  e, e2;
    logic        rnd_up;
    logic [24:0] rnd;
    logic [23:0] m2;

    always_comb begin
        a_nan = (&a[30:23]) & (|a[22:0]);
        b_nan = (&b[30:23]) & (|b[22:0]);
        a_inf = (&a[30:23]) & ~(|a[22:0]);
        b_inf = (&b[30:23]) & ~(|b[22:0]);
        // Order by magnitude (the bit pattern of |x| is monotonic in |x|).
        swap  = b[30:0] > a[30:0];
        big   = swap ? b : a;
        little = swap ? a : b;
        eb = (big[30:23] == 8'd0) ? 8'd1 : big[30:23];
        es = (little[30:23] == 8'd0) ? 8'd1 : little[30:23];
        mb = {|big[30:23], big[22:0]};
        ms = {|little[30:23], little[22:0]};
        d  = eb - es;
        // Align the smaller operand, keeping guard, round and sticky bits.
        wide = {ms, 3'b000, 27'd0} >> d;
        if (d >= 8'd27) xs = {26'd0, |ms};
        else            xs = {wide[53:28], wide[27] | (|wide[26:0])};
        sub = big[31] ^ little[31];
        if (sub) sum = {1'b0, mb, 3'b000} - {1'b0, xs};
        else     sum = {1'b0, mb, 3'b000} + {1'b0, xs};
        lz = 5'd27;
        for (int i = 0; i < 27; i++)
            if (sum[i]) lz = 5'(26 - i);
        e = {1'b0, eb};
        shamt = 5'd0;
        if (sum[27]) begin
            nrm = {sum[27:2], sum[1] | sum[0]};
            e   = e + 9'd1;
        end else begin
            // Normalize left, but not below the smallest exponent (subnormal).
            shamt = ({4'd0, lz} > e - 9'd1) ? 5'(e - 9'd1) : lz;
            nrm   = sum[26:0] << shamt;
            e     = e - {4'd0, shamt};
        end
        rnd_up = nrm[2] & (nrm[1] | nrm[0] | nrm[3]);
        rnd    = {1'b0, nrm[26:3]} + {24'd0, rnd_up};
        if (rnd[24]) begin
            e2 = e + 9'd1;
            m2 = rnd[24:1];
        end else begin
            e2 = e;
            m2 = rnd[23:0];
        end
        if (a_nan)                           y = a | 32'h0040_0000;
        else if (b_nan)                      y = b | 32'h0040_0000;
        else if (a_inf & b_inf & (a[31] ^ b[31])) y = 32'hFFC0_0000;
        else if (a_inf)                      y = a;
        else if (b_inf)                      y = b;
        else if (sum == 28'd0)               y = {big[31] & little[31], 31'd0};
        else if (e2 >= 9'd255)               y = {big[31], 8'hFF, 23'd0};
        else                                 y = {big[31], m2[23] ? e2[7:0] : 8'd0, m2[22:0]};
    end
endmodule
`default_nettype wire
