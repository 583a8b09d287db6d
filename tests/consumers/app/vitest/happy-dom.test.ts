// @vitest-environment happy-dom
import { describeComponentTests } from "./component-tests";

describeComponentTests("happy-dom", /HappyDOM/);
