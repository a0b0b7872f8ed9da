`default_nettype none
// Processing element of the systolic array (rtl/systolic_array.sv).
//   bf16 = 0: int8 x int8 -> int32 MAC, the accumulator wraps mod 2^32.
//   bf16 = 1: bf16 x bf16 -> fp32 product, fp32 accumulation; each product
//             and each sum rounded as golden's reference GEMM does
//             (acc = acc + a*b in C floats: rtl/bf16_mul.sv, rtl/fp32_add.sv).
// Operands: A enters from the left (a_*), passes right one PE per cycle.
// The vertical path (v_*) carries, top to bottom, one PE per cycle:
//   OS: the B operand (low 16 bits); the PE keeps acc, cleared by a_first.
//   WS: first the weights (w_load: every PE takes v_in as its weight and
//       passes it down), then partial sums: v_out = v_in + a * w.
// OS drain (drain = 1): acc takes acc_in (the PE above's acc), so the
// column's results shift down one row per cycle.
module pe (
    input  wire         clk,
    input  wire         rst,        // synchronous, active high
    input  wire         bf16,
    input  wire         ws,
    input  wire         w_load,
    input  wire         drain,
    input  wire  [15:0] a_in,
    input  wire         a_vld_in,
    input  wire         a_first_in,
    output logic [15:0] a_out,
    output logic        a_vld_out,
    output logic        a_first_out,
    input  wire  [31:0] v_in,
    input  wire         v_vld_in,
    output logic [31:0] v_out,
    output logic        v_vld_out,
    input  wire  [31:0] acc_in,
    output logic [31:0] acc_out,
    output logic        mac_now     // a MAC happens at the coming edge
);
    logic [31:0] acc;
    logic [15:0] w;
    logic [15:0] mul_b;
    logic [31:0] addend, prod_f, sum_f, prod_i, mac_res;

    assign mac_now = a_vld_in & v_vld_in & ~w_load;
    assign mul_b   = ws ? w : v_in[15:0];
    // OS: the fold's first MAC starts from +0 (golden: acc = 0, acc += a*b).
    assign addend  = ws ? v_in : (a_first_in ? 32'd0 : acc);
    assign prod_i  = 32'(signed'(a_in[7:0]) * signed'(mul_b[7:0]));

    bf16_mul u_mul (.a(a_in), .b(mul_b), .y(prod_f));
    fp32_add u_add (.a(addend), .b(prod_f), .y(sum_f));

    assign mac_res = bf16 ? sum_f : addend + prod_i;
    assign acc_out = acc;

    always_ff @(posedge clk) begin
        if (rst) begin
            acc <= 32'd0; w <= 16'd0;
            a_out <= 16'd0; a_vld_out <= 1'b0; a_first_out <= 1'b0;
            v_out <= 32'd0; v_vld_out <= 1'b0;
        end else begin
            a_out <= a_in; a_vld_out <= a_vld_in; a_first_out <= a_first_in;
            if (w_load) begin
                w <= v_in[15:0];
                v_out <= v_in;
                v_vld_out <= 1'b0;
            end else if (ws & mac_now) begin
                v_out <= mac_res;
                v_vld_out <= 1'b1;
            end else begin
                v_out <= v_in;
                v_vld_out <= v_vld_in;
            end
            if (drain)
                acc <= acc_in;
            else if (~ws & mac_now)
                acc <= mac_res;
        end
    end
endmodule
`default_nettype wire
