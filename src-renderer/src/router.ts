import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import ProjectsPage from './pages/ProjectsPage.vue';
import ProjectPage from './pages/ProjectPage.vue';
import AboutPage from './pages/AboutPage.vue';
import NotFoundPage from './pages/NotFoundPage.vue';

declare module 'vue-router' {
  interface RouteMeta {
    title?: string;
  }
}

/**
 * The project tabs, in the order of the workflow; the project page renders its tab bar from this.
 * Each tab is its own chunk, loaded when first opened, so the projects list paints without the
 * charts and scene code the tabs bring.
 */
export const PROJECT_TABS = [
  { name: 'project-data', path: 'data', label: 'Data', component: () => import('./pages/project/DataTab.vue') },
  { name: 'project-simulator', path: 'simulator', label: 'Simulator', component: () => import('./pages/project/SimulatorTab.vue') },
  { name: 'project-diffusion', path: 'diffusion', label: 'Diffusion', component: () => import('./pages/project/DiffusionTab.vue') },
  { name: 'project-sample', path: 'sample', label: 'Sample', component: () => import('./pages/project/SampleTab.vue') },
  { name: 'project-designs', path: 'designs', label: 'Designs', component: () => import('./pages/project/DesignsTab.vue') },
  // every run of the project (any target) with names and notes; /runs/<job id> opens one run
  { name: 'project-runs', path: 'runs', pattern: 'runs/:jobId(\\d+)?', label: 'Runs', component: () => import('./pages/project/RunsTab.vue') },
  // every trained model; /models/<model id> opens one, ?compare=<ids> overlays several
  { name: 'project-models', path: 'models', pattern: 'models/:modelId(\\d+)?', label: 'Models', component: () => import('./pages/project/ModelsTab.vue') },
] as const;

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: { name: 'projects' } },
  { path: '/projects', name: 'projects', component: ProjectsPage, meta: { title: 'Projects' } },
  {
    path: '/projects/:id',
    component: ProjectPage,
    children: [
      { path: '', name: 'project', redirect: (to) => ({ name: 'project-data', params: to.params }) },
      ...PROJECT_TABS.map((tab) => ({ path: 'pattern' in tab ? tab.pattern : tab.path, name: tab.name, component: tab.component })),
      // a design, by the id of the simulator query that scored it: the Simulator tab loads and plays it
      { path: 'designs/:queryId(\\d+)', name: 'project-design', redirect: (to) => ({ name: 'project-simulator', params: { id: to.params.id }, query: { query: String(to.params.queryId) } }) },
    ],
  },
  { path: '/about', name: 'about', component: AboutPage, meta: { title: 'About' } },
  { path: '/:unknown(.*)*', name: 'not-found', component: NotFoundPage, meta: { title: 'Not found' } },
];

// Hash history: Electron loads the renderer from file://, where path URLs cannot be served.
export const router = createRouter({ history: createWebHashHistory(), routes });

router.afterEach((to) => {
  if (to.meta.title) document.title = `${to.meta.title} — Inverse Design Workbench`;
});
