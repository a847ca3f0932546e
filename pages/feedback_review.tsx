/** The admin's review page `/feedback` (for browsers; API clients get the JSON listing). */
import FeedbackReview from "../islands/feedback_review.tsx";
import { Layout } from "../components/layout.tsx";
import { Island } from "../web/server/render_page.tsx";

export function FeedbackReviewPage({ modelNames }: { modelNames: string[] }) {
  return (
    <Layout modelNames={modelNames} current="/feedback">
      <div class="intro">
        <h1>Feedback</h1>
        <p>Drawings users corrected on the draw page, newest first.</p>
      </div>
      <Island name="feedback_review" component={FeedbackReview} props={{}} />
    </Layout>
  );
}
