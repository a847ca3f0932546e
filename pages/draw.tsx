/** The draw page `/`: a short introduction around the DigitLab island. */
import DigitLab from "../islands/digit_lab.tsx";
import { Layout } from "../components/layout.tsx";
import { Island } from "../web/server/render_page.tsx";
import type { ModelSummary } from "../web/browser/model_summary.ts";

export interface DrawPageProps {
  models: ModelSummary[];
  defaultModel: string;
}

export function DrawPage({ models, defaultModel }: DrawPageProps) {
  return (
    <Layout modelNames={models.map((m) => m.name)} current="/">
      <div class="intro">
        <h1>Draw a digit</h1>
        <p>
          Write a single digit from 0 to 9 and watch the network read it as you draw.
        </p>
      </div>
      <Island name="digit_lab" component={DigitLab} props={{ models, defaultModel }} />
    </Layout>
  );
}
