`default_nettype none
// PIM bank MAC unit (AiM-style, one per DRAM bank): 16 bf16 lanes and an
// adder tree consume one 256-bit column (16 bf16 weights) per cycle against
// 16 bf16 activations held in a 256-bit register, accumulating the dot
// product in fp32.  Pipeline: products (cycle 1), adder tree (cycle 2),
// accumulate (cycle 3), so n columns take n + 2 cycles from the first
// column to out_vld.  Numerics: each product rounded to fp32 (bf16_mul),
// the tree adds pairs ((p0+p1)+(p2+p3))+... in fp32, then acc = acc + tree,
// every add rounded to nearest even (fp32_add), the first column's tree
// added to +0.
module pim_mac (
    input  wire          clk,
    input  wire          rst,
    input  wire  [255:0] act,        // 16 bf16 activations (lane l: bits 16l+15..16l)
    input  wire  [255:0] col,        // one DRAM column: 16 bf16 weights
    input  wire          col_vld,
    input  wire          col_first,  // first column of a dot product
    input  wire          col_last,   // last column of a dot product
    output logic [31:0]  out,        // fp32 dot product
    output logic         out_vld
);
    logic [31:0] prod [16];
    logic [31:0] prod_q [16];
    logic [31:0] lvl1 [8];
    logic [31:0] lvl2 [4];
    logic [31:0] lvl3 [2];
    logic [31:0] tree, tree_q, acc, acc_sum;
    logic        v1, f1, l1, v2, f2, l2;

    genvar l;
    generate
        for (l = 0; l < 16; l++) begin : g_lane
            bf16_mul u_mul (.a(act[16*l +: 16]), .b(col[16*l +: 16]), .y(prod[l]));
        end
        for (l = 0; l < 8; l++) begin : g_l1
            fp32_add u_add (.a(prod_q[2*l]), .b(prod_q[2*l+1]), .y(lvl1[l]));
        end
        for (l = 0; l < 4; l++) begin : g_l2
            fp32_add u_add (.a(lvl1[2*l]), .b(lvl1[2*l+1]), .y(lvl2[l]));
        end
        for (l = 0; l < 2; l++) begin : g_l3
            fp32_add u_add (.a(lvl2[2*l]), .b(lvl2[2*l+1]), .y(lvl3[l]));
        end
    endgenerate
    fp32_add u_root (.a(lvl3[0]), .b(lvl3[1]), .y(tree));
    fp32_add u_acc  (.a(f2 ? 32'd0 : acc), .b(tree_q), .y(acc_sum));

    always_ff @(posedge clk) begin
        if (rst) begin
            v1 <= 1'b0; f1 <= 1'b0; l1 <= 1'b0; v2 <= 1'b0; f2 <= 1'b0; l2 <= 1'b0;
            tree_q <= 32'd0; acc <= 32'd0; out <= 32'd0; out_vld <= 1'b0;
            for (int i = 0; i < 16; i++) prod_q[i] <= 32'd0;
        end else begin
            // cycle 1: products
            v1 <= col_vld; f1 <= col_first; l1 <= col_last;
            if (col_vld)
                for (int i = 0; i < 16; i++) prod_q[i] <= prod[i];
            // cycle 2: adder tree
            v2 <= v1; f2 <= f1; l2 <= l1;
            if (v1) tree_q <= tree;
            // cycle 3: accumulate
            out_vld <= v2 & l2;
            if (v2) begin
                acc <= acc_sum;
                if (l2) out <= acc_sum;
            end
        end
    end
endmodule
`default_nettype wire
