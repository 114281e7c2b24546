// The three-line embedding the README shows, as one bundle a page can load (no CDN).
import AwsS3 from "@uppy/aws-s3";
import Uppy from "@uppy/core";
import Dashboard from "@uppy/dashboard";
import GoldenRetriever from "@uppy/golden-retriever";
import "@uppy/core/css/style.min.css";
import "@uppy/dashboard/css/style.min.css";

window.UppyBundle = { Uppy, Dashboard, AwsS3, GoldenRetriever };
