import * as z from "zod/mini";
import { ANY, type RouterDocs } from "../route-docs";
import type { root } from "../../routes/root";

export const rootDocs: RouterDocs<typeof root> = {
  "/": {
    $get: {
      operationId: "liveness",
      summary: "Liveness",
      responses: { 200: { description: "Running", body: { schema: z.object({ message: z.string() }), example: { message: "Server is running" } } } },
      problems: ANY,
    },
  },
};
