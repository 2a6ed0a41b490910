// Runs the Khronos glTF validator (npm gltf-validator, installed by
// scripts/install_deps.sh into tests/exporters/gltf_validator) on one .glb and
// prints its issues as JSON. Usage: node validate_gltf.js FILE.glb MODULE_DIR
const fs = require('fs');
const path = require('path');
const validator = require(path.resolve(process.argv[3]));
const bytes = new Uint8Array(fs.readFileSync(process.argv[2]));
validator.validateBytes(bytes, {maxIssues: 100})
    .then((report) => {
      console.log(JSON.stringify(report.issues));
    })
    .catch((e) => {
      console.error(String(e));
      process.exit(2);
    });
