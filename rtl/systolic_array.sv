`default_nettype none
// R x C systolic array of rtl/pe.sv, output- or weight-stationary.
// The driver feeds operands skewed: lane i of a_in one cycle after lane
// i-1, lane j of v_in one cycle after lane j-1 (the fold's first operands
// reach PE(i,j) i+j cycles after they enter).
//   OS fold (r x c PEs, T = K): A rows on a_in (a_first with k = 0), B
//     columns on v_in.  The first cycle in which no PE MACs after some did,
//     the array drains: R cycles, each shifting every column's accumulators
//     down one row; out_data/out_vld carry the bottom row's values, so the
//     rows leave in the order R-1, R-2, ..., 0.
//   WS fold (r x c PEs, T = M): w_load for r cycles with the weight rows on
//     v_in, row r-1 first; then A rows (row k of the fold on lane k) on a_in
//     and partial sums (0 or the previous K-fold's) on v_in.  Outputs leave
//     the bottom row's v register after passing the R-r unused rows.
module systolic_array #(
    parameter int R = 4,
    parameter int C = 4
) (
    input  wire             clk,
    input  wire             rst,
    input  wire             bf16,
    input  wire             ws,
    input  wire             w_load,
    input  wire  [R*16-1:0] a_in,
    input  wire  [R-1:0]    a_vld,
    input  wire  [R-1:0]    a_first,
    input  wire  [C*32-1:0] v_in,
    input  wire  [C-1:0]    v_vld,
    output logic [C*32-1:0] out_data,
    output logic [C-1:0]    out_vld
);
    logic [15:0] ah [R][C+1];
    logic        avh [R][C+1];
    logic        afh [R][C+1];
    logic [31:0] vv [R+1][C];
    logic        vvv [R+1][C];
    logic [31:0] accv [R+1][C];
    logic        mac [R][C];
    logic [31:0] os_out [C];
    logic        os_vld;

    // OS drain control: started by the MAC wavefront ending.
    logic        any_mac, mac_before, drain;
    logic [$clog2(R+1)-1:0] drain_left;

    always_comb begin
        any_mac = 1'b0;
        for (int i = 0; i < R; i++)
            for (int j = 0; j < C; j++)
                any_mac = any_mac | mac[i][j];
    end
    assign drain = ~ws & ((drain_left != '0) | (mac_before & ~any_mac));

    always_ff @(posedge clk) begin
        if (rst) begin
            mac_before <= 1'b0;
            drain_left <= '0;
            os_vld <= 1'b0;
        end else begin
            mac_before <= any_mac;
            if (drain_left != '0)
                drain_left <= drain_left - 1'b1;
            else if (drain)
                drain_left <= $clog2(R+1)'(R - 1);
            os_vld <= drain;
        end
    end

    genvar i, j;
    generate
        for (i = 0; i < R; i++) begin : g_row
            assign ah[i][0]  = a_in[i*16 +: 16];
            assign avh[i][0] = a_vld[i];
            assign afh[i][0] = a_first[i];
            for (j = 0; j < C; j++) begin : g_col
                pe u_pe (
                    .clk(clk), .rst(rst), .bf16(bf16), .ws(ws), .w_load(w_load), .drain(drain),
                    .a_in(ah[i][j]), .a_vld_in(avh[i][j]), .a_first_in(afh[i][j]),
                    .a_out(ah[i][j+1]), .a_vld_out(avh[i][j+1]), .a_first_out(afh[i][j+1]),
                    .v_in(vv[i][j]), .v_vld_in(vvv[i][j]),
                    .v_out(vv[i+1][j]), .v_vld_out(vvv[i+1][j]),
                    .acc_in(accv[i][j]), .acc_out(accv[i+1][j]),
                    .mac_now(mac[i][j])
                );
            end
        end
        for (j = 0; j < C; j++) begin : g_edge
            assign vv[0][j]   = v_in[j*32 +: 32];
            assign vvv[0][j]  = v_vld[j];
            assign accv[0][j] = 32'd0;
            always_ff @(posedge clk)
                if (rst)        os_out[j] <= 32'd0;
                else if (drain) os_out[j] <= accv[R][j];
            assign out_data[j*32 +: 32] = ws ? vv[R][j] : os_out[j];
            assign out_vld[j] = ws ? vvv[R][j] : os_vld;
        end
    endgenerate

    // The A operand leaving the right edge has no consumer.
    logic unused;
    always_comb begin
        unused = 1'b0;
        for (int r = 0; r < R; r++)
            unused = unused ^ (^ah[r][C]) ^ avh[r][C] ^ afh[r][C];
    end
endmodule
`default_nettype wire
