// @vitest-environment jsdom
import { describeComponentTests } from "./component-tests";

describeComponentTests("jsdom", /jsdom/);
