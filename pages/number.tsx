/** The number page `/number`: the wide pad for whole numbers (the NumberLab island). */
import NumberLab from "../islands/number_lab.tsx";
import { Layout } from "../components/layout.tsx";
import { Island } from "../web/server/render_page.tsx";

export interface NumberPageProps {
  modelNames: string[];
  defaultModel: string;
  /** The per-digit feedback controls (off with `--feedback off`). */
  feedback?: boolean;
}

export function NumberPage({ modelNames, defaultModel, feedback = false }: NumberPageProps) {
  return (
    <Layout modelNames={modelNames} current="/number">
      <div class="intro">
        <h1>Write a number</h1>
        <p>
          Write a number of several digits: each digit is found, read on its own and shown with its
          box and the model's confidence (green: confident, orange: unsure).
        </p>
      </div>
      <Island name="number_lab" component={NumberLab} props={{ defaultModel, feedback }} />
    </Layout>
  );
}
