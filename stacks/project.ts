export const PROJECT = "poststart-lab"; // the Pulumi project's name (Pulumi.yaml), its config keys' prefix; no imports
